;===================================================================================================
; main.asm (CP/M 2.2) -- the program's entry and its console: START, CHAT, DRAIN_LINE
; CP/M loads the .COM at TPA_BASE (0100h) and jumps to its first byte: START is first.
;
; Needs:    BDOS TAIL WBOOT BDOS_CONIN BDOS_CONOUT BDOS_PRINT BDOS_READLINE CTRL_C
; Needs:    MEM_END STACK_TOP LINEBUF LINE_MAX NO_MEMORY PROMPT NORMALIZE ANSWER
; Defines:  START NO_ROOM CHAT DRAIN_LINE
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; START: one-shot mode with a command tail, chat mode without
; A command tail (A>GUESS IS IT ALIVE) is answered once, then the program returns to CP/M.
; First it checks that its buffers end below the BDOS entry (the word at 0006h); if not, it
; says "Not enough memory" and returns to CP/M.
;---------------------------------------------------------------------------------------------------
START:
        LD HL,(BDOS+1)                  ; the BDOS entry: nothing of ours may reach it
        LD DE,MEM_END-1                 ; the last byte the program uses (MEM_END may be 10000h)
        OR A
        SBC HL,DE                       ; the BDOS entry must lie above that byte
        JR Z,NO_ROOM
        JR NC,MEM_OK
NO_ROOM:
        LD DE,NO_MEMORY
        LD C,BDOS_PRINT
        CALL BDOS
        JP WBOOT
MEM_OK:
        LD SP,STACK_TOP & 0FFFFh        ; (STACK_TOP is 10000h, i.e. 0, if it ends at the top)
        LD A,(TAIL)                     ; tail length
        OR A
        JR Z,CHAT                       ; no tail: chat mode
        LD B,A
        LD HL,TAIL+1
        CALL NORMALIZE
        CALL ANSWER
        JP WBOOT                        ; warm boot: back to CP/M

;---------------------------------------------------------------------------------------------------
; CHAT: prompt '> ', read a line (BDOS 10), answer, repeat
; An empty line re-prompts; a line starting with '!' (or Ctrl-C) returns to CP/M.
; A line that fills the buffer is cut: the rest of it is read and dropped (DRAIN_LINE).
;---------------------------------------------------------------------------------------------------
CHAT:
        LD DE,PROMPT
        LD C,BDOS_PRINT
        CALL BDOS
        LD HL,LINEBUF
        LD (HL),LINE_MAX
        EX DE,HL
        LD C,BDOS_READLINE              ; read console buffer
        CALL BDOS
        LD A,(LINEBUF+1)
        CP LINE_MAX
        CALL Z,DRAIN_LINE
        LD E,0Ah                        ; BDOS 10 echoes only the CR: finish the line
        LD C,BDOS_CONOUT
        CALL BDOS
        LD A,(LINEBUF+1)
        OR A
        JR Z,CHAT                       ; empty line: prompt again
        LD A,(LINEBUF+2)
        CP '!'
        JP Z,WBOOT                      ; '!' quits
        CP CTRL_C
        JP Z,WBOOT                      ; so does Ctrl-C
        LD A,(LINEBUF+1)
        LD B,A
        LD HL,LINEBUF+2
        CALL NORMALIZE
        CALL ANSWER
        JR CHAT

;---------------------------------------------------------------------------------------------------
; DRAIN_LINE: read and drop typed characters up to CR or LF (BDOS 1). Uses all.
;---------------------------------------------------------------------------------------------------
DRAIN_LINE:
        LD C,BDOS_CONIN
        CALL BDOS
        CP 0Dh
        RET Z
        CP 0Ah
        RET Z
        JR DRAIN_LINE
