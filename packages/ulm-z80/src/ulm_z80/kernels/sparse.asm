;===================================================================================================
; sparse.asm -- SPR_INPUTS: every nonzero input's column of threaded runs into the accumulator pages
; The fixed part of the sparse kernel. The run bodies (RUN_P0 .. RUN_Pn, RUN_M0 .. RUN_Mn: one
; unrolled copy of the inner loop per sign) and each layer's routine are generated around this
; file (ulm_z80/kernels/sparse.py).
;
; A column is data that starts with the address of the code that reads it, its handler; with SP
; on the column, RET enters it (threaded code: SP is the data pointer, so interrupts are off). A
; column in the fast form is runs of at most a body's length, each a handler RUN_Pk or RUN_Mk and
; its k neurons; every body ends with RET, into the next run's handler, and the column's last
; word is SPR_DONE.
; A column in the compact form is RUN_NIBBLES or RUN_NIBBLES2 and its gaps. Both end with
; JP (IY): SPR_NEXT, or SPR_WPASS while an input of 256 or more is added in passes.
;
; Needs:    ACC_LO COL_SAVED_SP SPR_SCAN
; Defines:  SPR_INPUTS SPR_NEXT SPR_COPY8 SPR_DONE SPR_EMPTY RUN_NIBBLES RUN_NIBBLES2
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; SPR_INPUTS: acc[j] += w[j][i] * x[i] for every nonzero input i   [sparse kernel]
; In:  IX = first input (int16), IY = its entry in the layer's table of column addresses,
;      B = inputs (0 means 256), ACC_LO/ACC_HI hold the starting accumulators.
; The scan pops the inputs (SP), in the alternate set: DE' = x, HL' = its table entry, B' =
; inputs left; a zero input costs 50 T-states. A column runs in the main set with E = x (below
; 256), H = the accumulators' low-byte page, SP = the column, IY = SPR_NEXT; SPR_SCAN keeps the
; scan's SP meanwhile. Interrupts must be off (SP walks data).
; Out: accumulators updated. Uses all registers (IX is left on the first input, IY on SPR_NEXT: a
;      layer of more than 256 inputs sets them again for its next call); SP restored.
;---------------------------------------------------------------------------------------------------
SPR_INPUTS:
        LD (COL_SAVED_SP),SP
        LD A,B
        PUSH IY
        EXX
        POP HL                          ; HL' = the first input's table entry
        LD B,A                          ; B' = inputs left
        LD SP,IX                        ; SP = the inputs
        LD IY,SPR_NEXT                  ; where every column returns
SPR_INPUT:
        POP DE                          ; DE' = x
        LD A,D
        OR E
        JR NZ,SPR_NONZERO
        INC HL                          ; x = 0: step over its table entry
        INC HL
        DJNZ SPR_INPUT
        JR SPR_END
SPR_NONZERO:
        LD (SPR_SCAN),SP                ; the next input
        LD A,D
        OR A
        JR NZ,SPR_WIDE                  ; x >= 256: in passes (rare)
        LD A,E
        LD SP,HL                        ; SP = the table entry
        INC HL
        INC HL
        EXX
        POP HL                          ; the column
        LD SP,HL
        LD E,A                          ; E = x
        LD H,ACC_LO/256
        RET                             ; into its first handler
SPR_NEXT:                               ; every column ends here (JP (IY))
        EXX
        LD SP,(SPR_SCAN)
        DJNZ SPR_INPUT
SPR_END:
        EXX
        LD SP,(COL_SAVED_SP)
        RET

;---------------------------------------------------------------------------------------------------
; SPR_WIDE: a column times an input of 256 or more, as passes of at most 255
; The run bodies add an 8-bit x; 255 + 255 + ... + the rest is x, and every pass carries into
; the high bytes, so the sums are exact modulo 2^16 like the spec's.
; In: (alternate set) DE = x, HL = the column's table entry; the columns leave the alternate set
; alone, so DE keeps what is left of x from pass to pass. Each pass returns to SPR_WPASS (IY).
;---------------------------------------------------------------------------------------------------
SPR_WIDE:
        LD IY,SPR_WPASS
        EXX                             ; (as after a pass)
SPR_WPASS:
        EXX                             ; DE = what is left of x, HL = the table entry
        LD A,D
        OR A
        JR Z,SPR_WLAST
        DEC D
        INC DE                          ; DE -= 255
        LD A,0FFh                       ; a pass of 255
        JR SPR_WGO
SPR_WLAST:
        OR E
        JR Z,SPR_WDONE                  ; nothing left
        LD A,E                          ; the last pass: what is left
        LD E,D                          ; DE = 0 left
SPR_WGO:
        LD SP,HL                        ; SP = the table entry
        EXX
        POP HL                          ; the column
        LD SP,HL
        LD E,A                          ; E = this pass's x
        LD H,ACC_LO/256
        RET                             ; into the column's handler
SPR_WDONE:
        INC HL                          ; past the table entry
        INC HL
        LD IY,SPR_NEXT
        EXX
        JP (IY)                         ; on with the scan

;---------------------------------------------------------------------------------------------------
; SPR_COPY8: copy BC bytes (a multiple of 8, at least 8) from HL to DE, eight LDIs a loop
; The layers start their sums this way (the bytes that are not a multiple of 8 by LDIs before).
;---------------------------------------------------------------------------------------------------
SPR_COPY8:
        LDI
        LDI
        LDI
        LDI
        LDI
        LDI
        LDI
        LDI
        JP PE,SPR_COPY8                 ; P/V: BC is not 0 yet
        RET

;---------------------------------------------------------------------------------------------------
; SPR_DONE: the last word of every column in the fast form; SPR_EMPTY: a column of zeros
;---------------------------------------------------------------------------------------------------
SPR_DONE:
        JP (IY)
SPR_EMPTY:
        DW SPR_DONE

;---------------------------------------------------------------------------------------------------
; RUN_NIBBLES, RUN_NIBBLES2: a column coded as gaps, two to a byte   [sparse kernel, compact form]
; Data: per run a byte count, then the run's bytes; runs: +1 neurons, -1 and -2 neurons, and
; (RUN_NIBBLES2 only) the -2 neurons again. A run starts before neuron 0; each 4-bit gap, low
; nibble first, is 1-15: step on that many neurons and add (or subtract) x there; 0 steps on
; 15 without adding (for longer gaps, and to pad the last byte). About half the bytes of the
; fast form for about twice its time: the planner gives this form to the columns that are
; rarely used. In: SP = the first count, E = x, H = the low-byte page, IY = the return.
; Registers: C = x, DE = the data, B = bytes left in the run, L = neuron; A' = runs to go.
;---------------------------------------------------------------------------------------------------
RUN_NIBBLES2:
        LD A,2                          ; after the plus run: two runs to subtract
        JR NB_START
RUN_NIBBLES:
        LD A,1                          ; after the plus run: one
NB_START:
        EX AF,AF'
        LD C,E                          ; C = x
        EX DE,HL
        LD HL,0
        ADD HL,SP
        EX DE,HL                        ; DE = the data; H = the page again
        LD A,(DE)                       ; bytes of the plus run
        INC DE
        OR A
        JR Z,NB_MINUS_RUN
        LD B,A
        LD L,0FFh                       ; before neuron 0
NB_PLUS:
        LD A,(DE)
        AND 0Fh                         ; the low gap
        JR Z,NB_PLUS_FAR
        ADD A,L
        LD L,A                          ; L = neuron
        LD A,(HL)
        ADD A,C                         ; acc[L] += x
        LD (HL),A
        JP NC,NB_PLUS_HIGH
        INC H
        INC (HL)                        ; the carry
        DEC H
NB_PLUS_HIGH:
        LD A,(DE)
        INC DE
        RRCA
        RRCA
        RRCA
        RRCA
        AND 0Fh                         ; the high gap
        JR Z,NB_PLUS_FAR2
        ADD A,L
        LD L,A                          ; L = neuron
        LD A,(HL)
        ADD A,C                         ; acc[L] += x
        LD (HL),A
        JP NC,NB_PLUS_NEXT
        INC H
        INC (HL)                        ; the carry
        DEC H
NB_PLUS_NEXT:
        DJNZ NB_PLUS
NB_MINUS_RUN:
        LD A,(DE)                       ; bytes of the next minus run
        INC DE
        OR A
        JR Z,NB_MINUS_DONE
        LD B,A
        LD L,0FFh                       ; before neuron 0
NB_MINUS:
        LD A,(DE)
        AND 0Fh                         ; the low gap
        JR Z,NB_MINUS_FAR
        ADD A,L
        LD L,A                          ; L = neuron
        LD A,(HL)
        SUB C                           ; acc[L] -= x
        LD (HL),A
        JP NC,NB_MINUS_HIGH
        INC H
        DEC (HL)                        ; the borrow
        DEC H
NB_MINUS_HIGH:
        LD A,(DE)
        INC DE
        RRCA
        RRCA
        RRCA
        RRCA
        AND 0Fh                         ; the high gap
        JR Z,NB_MINUS_FAR2
        ADD A,L
        LD L,A                          ; L = neuron
        LD A,(HL)
        SUB C                           ; acc[L] -= x
        LD (HL),A
        JP NC,NB_MINUS_NEXT
        INC H
        DEC (HL)                        ; the borrow
        DEC H
NB_MINUS_NEXT:
        DJNZ NB_MINUS
NB_MINUS_DONE:
        EX AF,AF'
        DEC A                           ; one run to subtract fewer
        JR Z,NB_END
        EX AF,AF'
        JR NB_MINUS_RUN                 ; the -2 neurons once more
NB_END:
        JP (IY)
; gap code 0: 15 neurons on, nothing added
NB_PLUS_FAR:
        LD A,L
        ADD A,15
        LD L,A
        JP NB_PLUS_HIGH
NB_PLUS_FAR2:
        LD A,L
        ADD A,15
        LD L,A
        JP NB_PLUS_NEXT
NB_MINUS_FAR:
        LD A,L
        ADD A,15
        LD L,A
        JP NB_MINUS_HIGH
NB_MINUS_FAR2:
        LD A,L
        ADD A,15
        LD L,A
        JP NB_MINUS_NEXT
