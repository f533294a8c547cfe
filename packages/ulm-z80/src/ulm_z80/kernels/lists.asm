;===================================================================================================
; lists.asm -- LIST_INPUTS: neuron lists (+1 and -1) of every nonzero input into the accumulator pages
; The shared routine of the lists kernel; each layer's own code (LAYER_k) is generated around it
; (ulm_z80/kernels/lists.py).
;
; Needs:    ACC_LO COL_SAVED_SP
; Defines:  LIST_INPUTS
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; LIST_INPUTS: acc[j] += w[j][i] * x[i] for every nonzero input i   [lists kernel]
; In:  IX = first input (int16), IY = its column, B = inputs (0 means 256),
;      ACC_LO/ACC_HI hold the starting accumulators.
; Column list: header (plus count, minus count), plus neuron indices, minus indices (a -2
; weight is listed twice), a pad byte to an even length. SP walks the lists (POP BC = two
; neurons), so interrupts must be off; only the nonzero weights of nonzero inputs cost time.
; Registers: DE = x, H = accumulator page, L = neuron; the alternate set holds counters:
; B' = pairs left, D' = plus count, E' = minus entries left, H' = inputs left.
; Out: accumulators updated. Uses all registers (IY is left on the first column: a layer of more
;      than 256 inputs sets IX and IY again for its next call); SP restored.
;---------------------------------------------------------------------------------------------------
LIST_INPUTS:
        LD A,B
        EXX
        LD H,A                          ; H' = inputs left
        EXX
        LD (COL_SAVED_SP),SP
        LD SP,IY                        ; SP = first column
        LD H,ACC_LO/256                 ; H = accumulator low-byte page
LI_INPUT:
        LD E,(IX+0)
        LD D,(IX+1)                     ; DE = x
        INC IX
        INC IX
        POP BC                          ; C = plus count, B = minus count
        LD A,E
        OR D
        JP Z,LI_SKIP                    ; x = 0: step over the column
        LD A,B
        EXX
        LD E,A                          ; E' = minus entries
        EXX
        LD A,C
        EXX
        LD D,A                          ; D' = plus entries
        SRL A
        LD B,A                          ; B' = plus pairs
        EXX
        OR A
        JR Z,LI_PLUS_DONE
        INC D
        DEC D
        JP Z,LI_PLUS8                   ; x < 256: only a carry reaches the high byte
LI_PLUS:
        POP BC                          ; two +1 neurons
        LD L,C                          ; L = neuron
        LD A,(HL)
        ADD A,E                         ; acc[L] += x
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        LD L,B                          ; L = neuron
        LD A,(HL)
        ADD A,E                         ; acc[L] += x
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        EXX
        DEC B
        EXX
        JP NZ,LI_PLUS
LI_PLUS_DONE:
        EXX
        LD A,E                          ; A = minus entries
        BIT 0,D                         ; an odd plus entry left?
        EXX
        JR Z,LI_MINUS_START
        POP BC                          ; the last plus neuron, then the first minus one (or the pad)
        EX AF,AF'                       ; keep A (minus entries) in A' across the add
        LD L,C                          ; L = neuron
        LD A,(HL)
        ADD A,E                         ; acc[L] += x
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        EX AF,AF'
        OR A
        JR Z,LI_NEXT                    ; no minus entries: B was the pad
        EX AF,AF'
        LD L,B                          ; L = neuron
        LD A,(HL)
        SUB E                           ; acc[L] -= x
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        EX AF,AF'
        DEC A                           ; one minus entry done
LI_MINUS_START:
        EXX
        LD E,A                          ; E' = minus entries left
        SRL A
        LD B,A                          ; B' = minus pairs
        EXX
        OR A
        JR Z,LI_MINUS_DONE
        INC D
        DEC D
        JP Z,LI_MINUS8                  ; x < 256: only a borrow reaches the high byte
LI_MINUS:
        POP BC                          ; two -1 neurons
        LD L,C                          ; L = neuron
        LD A,(HL)
        SUB E                           ; acc[L] -= x
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        LD L,B                          ; L = neuron
        LD A,(HL)
        SUB E                           ; acc[L] -= x
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        EXX
        DEC B
        EXX
        JP NZ,LI_MINUS
LI_MINUS_DONE:
        EXX
        BIT 0,E                         ; an odd minus entry left?
        EXX
        JR Z,LI_NEXT
        POP BC                          ; the last minus neuron and the pad
        LD L,C                          ; L = neuron
        LD A,(HL)
        SUB E                           ; acc[L] -= x
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
LI_NEXT:
        EXX
        DEC H                           ; inputs left
        EXX
        JP NZ,LI_INPUT
        LD SP,(COL_SAVED_SP)
        RET
LI_SKIP:        ; x = 0: SP += entries rounded up to even
        LD A,C
        ADD A,B
        LD C,A
        LD A,0
        ADC A,A
        LD B,A                          ; BC = plus + minus entries
        INC BC
        RES 0,C                         ; rounded up to even
LI_STEP:
        EX DE,HL
        LD HL,0
        ADD HL,SP
        ADD HL,BC
        LD SP,HL
        EX DE,HL                        ; H = accumulator page again
        JP LI_NEXT
; The pair loops for 0 < x < 256 (most activations): the high byte of an
; accumulator changes only by a carry or a borrow.
LI_PLUS8:
        POP BC                          ; two +1 neurons
        LD L,C
        LD A,(HL)
        ADD A,E
        LD (HL),A
        JR NC,LI_PLUS8A
        INC H
        INC (HL)                        ; carry
        DEC H
LI_PLUS8A:
        LD L,B
        LD A,(HL)
        ADD A,E
        LD (HL),A
        JR NC,LI_PLUS8B
        INC H
        INC (HL)                        ; carry
        DEC H
LI_PLUS8B:
        EXX
        DEC B
        EXX
        JP NZ,LI_PLUS8
        JP LI_PLUS_DONE
LI_MINUS8:
        POP BC                          ; two -1 neurons
        LD L,C
        LD A,(HL)
        SUB E
        LD (HL),A
        JR NC,LI_MINUS8A
        INC H
        DEC (HL)                        ; borrow
        DEC H
LI_MINUS8A:
        LD L,B
        LD A,(HL)
        SUB E
        LD (HL),A
        JR NC,LI_MINUS8B
        INC H
        DEC (HL)                        ; borrow
        DEC H
LI_MINUS8B:
        EXX
        DEC B
        EXX
        JP NZ,LI_MINUS8
        JP LI_MINUS_DONE
