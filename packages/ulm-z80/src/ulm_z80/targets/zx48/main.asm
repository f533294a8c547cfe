;===================================================================================================
; main.asm (ZX Spectrum 48K) -- the program's entry and its console: START, CHAT, QUIT, READ_LINE,
; GET_KEY, PRINT_CHAR, PRINT_TEXT
; The BASIC loader (10 CLEAR 24575: LOAD "" CODE : RANDOMIZE USR 24576) calls START, the first
; byte of the code block. Text goes to the upper screen through the ROM (RST 10h on channel S);
; keys come from the ROM's 50 Hz interrupt routine (IM 1), which decodes the key pressed into
; LAST_K. The ROM's routines reach the system variables through IY = ERR_NR, but the model's
; routines use IY and the alternate registers: the answer is computed with interrupts off, and IY
; is set again before a ROM routine runs. '!' returns to BASIC (0 OK) with its SP and HL' back.
;
; Needs:    ERR_NR LAST_K PRAMT FLAGS_IY MODE_IY SCR_CT_IY ROM_CLS ROM_CHAN_OPEN
; Needs:    KEY_ENTER KEY_DELETE KEY_EXTEND NEWLINE BASIC_SP BASIC_HL
; Needs:    MEM_END STACK_TOP LINEBUF LINE_MAX NO_MEMORY BANNER PROMPT NORMALIZE ANSWER
; Defines:  START CHAT QUIT READ_LINE GET_KEY PRINT_CHAR PRINT_TEXT
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; START: clear the screen, say hello, chat
; It first checks that the machine has RAM up to the end of the program's buffers (a 16K
; Spectrum has none above 7FFFh); if not, it says "Not enough memory" and returns to BASIC.
;---------------------------------------------------------------------------------------------------
START:
        LD (BASIC_SP),SP                ; BASIC's stack and HL', for QUIT
        EXX
        LD (BASIC_HL),HL
        EXX
        LD IY,ERR_NR                    ; what the ROM's routines expect
        CALL ROM_CLS
        LD A,2
        CALL ROM_CHAN_OPEN              ; print on the upper screen (stream 2)
        LD HL,(PRAMT)                   ; the last byte of RAM
        LD DE,MEM_END-1                 ; the last byte the program uses
        OR A
        SBC HL,DE
        JR NC,MEM_OK
        LD HL,NO_MEMORY
        CALL PRINT_TEXT
        JR QUIT
MEM_OK:
        LD SP,STACK_TOP & 0FFFFh        ; our own stack (STACK_TOP is 10000h, i.e. 0, if it ends at the top)
        RES 5,(IY+FLAGS_IY)             ; forget a key pressed before we started
        LD HL,BANNER
        CALL PRINT_TEXT

;---------------------------------------------------------------------------------------------------
; CHAT: prompt '> ', read a line, answer, repeat
; An empty line prompts again; a line starting with '!' returns to BASIC.
;---------------------------------------------------------------------------------------------------
CHAT:
        LD HL,PROMPT
        CALL PRINT_TEXT
        CALL READ_LINE
        LD A,(LINEBUF+1)
        OR A
        JR Z,CHAT                       ; empty line: prompt again
        LD A,(LINEBUF+2)
        CP '!'
        JR Z,QUIT                       ; '!' quits
        LD A,(LINEBUF+1)
        LD B,A
        LD HL,LINEBUF+2
        DI                              ; IY and HL' are the model's until the answer is out
        CALL NORMALIZE
        CALL ANSWER
        LD IY,ERR_NR
        JR CHAT

;---------------------------------------------------------------------------------------------------
; QUIT: back to BASIC, which reports 0 OK: its stack, its HL' (the ROM's calculator keeps an
; address there) and IY as it left them, interrupts on.
;---------------------------------------------------------------------------------------------------
QUIT:
        LD HL,(BASIC_HL)
        EXX
        LD SP,(BASIC_SP)
        LD IY,ERR_NR
        EI
        RET

;---------------------------------------------------------------------------------------------------
; READ_LINE: read a line from the keyboard into LINEBUF, echoing it; ENTER ends it
; A character (20h-7Fh) is added while there is room for it (LINE_MAX); DELETE takes the last
; one back. CAPS SHIFT + SYMBOL SHIFT (E mode) makes the next key give ~ | \ { } [ ] or the
; copyright sign (7Fh) with SYMBOL SHIFT. Other keys and BASIC's keywords are ignored.
; Out: LINEBUF+1 = the count, LINEBUF+2... = the characters. Uses A, BC, DE, HL.
;---------------------------------------------------------------------------------------------------
READ_LINE:
        XOR A
        LD (LINEBUF+1),A
READ_NEXT:
        CALL GET_KEY
        CP KEY_ENTER
        JR Z,READ_DONE
        CP KEY_DELETE
        JR Z,READ_DELETE
        CP KEY_EXTEND
        JR Z,READ_EXTEND
        CP 20h
        JR C,READ_NEXT                  ; cursor keys, EDIT, CAPS LOCK ...: ignored
        CP 80h
        JR NC,READ_NEXT                 ; keywords and graphics: ignored
        LD C,A
        LD A,(LINEBUF+1)
        CP LINE_MAX
        JR NC,READ_NEXT                 ; the line is full
        INC A
        LD (LINEBUF+1),A
        LD E,A
        LD D,0
        LD HL,LINEBUF+1
        ADD HL,DE
        LD (HL),C                       ; the character goes to LINEBUF+1+count
        LD A,C
        CALL PRINT_CHAR                 ; echo it
        JR READ_NEXT
READ_DELETE:
        LD A,(LINEBUF+1)
        OR A
        JR Z,READ_NEXT                  ; nothing to delete
        DEC A
        LD (LINEBUF+1),A
        LD A,8                          ; back, blank, back
        CALL PRINT_CHAR
        LD A,' '
        CALL PRINT_CHAR
        LD A,8
        CALL PRINT_CHAR
        JR READ_NEXT
READ_EXTEND:
        LD (IY+MODE_IY),1               ; E mode for the next key (GET_KEY ends it)
        JR READ_NEXT
READ_DONE:
        LD A,NEWLINE
        JP PRINT_CHAR                   ; end the line on the screen

;---------------------------------------------------------------------------------------------------
; GET_KEY: A = the next key the ROM's interrupt routine decoded (LAST_K)
; Waits with interrupts on, halted until each interrupt has scanned the keyboard. Letters come
; as letters (L mode; CAPS SHIFT or CAPS LOCK: capitals), and E mode lasts one key.
; In: IY = ERR_NR. Out: A = the key's code, interrupts on. Uses A.
;---------------------------------------------------------------------------------------------------
GET_KEY:
        SET 3,(IY+FLAGS_IY)             ; L mode: a letter key gives a letter, not a keyword
        EI
GET_KEY_WAIT:
        HALT                            ; until the next interrupt has scanned the keyboard
        BIT 5,(IY+FLAGS_IY)
        JR Z,GET_KEY_WAIT               ; no new key yet
        RES 5,(IY+FLAGS_IY)
        LD (IY+MODE_IY),0               ; E mode is over
        LD A,(LAST_K)
        RET

;---------------------------------------------------------------------------------------------------
; PRINT_CHAR: print the character (or control code) in A on the upper screen (RST 10h)
; SCR_CT is set high first, so that the screen scrolls without asking 'scroll?'.
; In: IY = ERR_NR. Uses AF, BC, DE, HL.
;---------------------------------------------------------------------------------------------------
PRINT_CHAR:
        LD (IY+SCR_CT_IY),0FFh
        RST 10h
        RET

;---------------------------------------------------------------------------------------------------
; PRINT_TEXT: print the text at HL, up to its 0 byte. In: IY = ERR_NR. Uses AF, BC, DE, HL.
;---------------------------------------------------------------------------------------------------
PRINT_TEXT:
        LD A,(HL)
        OR A
        RET Z
        PUSH HL
        CALL PRINT_CHAR
        POP HL
        INC HL
        JR PRINT_TEXT
