;===================================================================================================
; hybrid.asm -- HYB_INPUTS: per input a neuron list or a 2-bit column into the accumulator pages
; The shared routine of the hybrid kernel; each layer's own code (LAYER_k) is generated around it
; (ulm_z80/kernels/hybrid.py).
;
; Needs:    ACC_LO COL_SAVED_SP
; Defines:  HYB_INPUTS HC_END
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; HYB_INPUTS: acc[j] += w[j][i] * x[i] for every nonzero input i   [hybrid kernel]
; In:  IX = first input (int16), IY = its column, B = inputs (0 means 256),
;      ACC_LO/ACC_HI hold the starting accumulators.
; Column list: header (plus count, minus count), plus neuron indices, minus indices (a -2
; weight is listed twice), a pad byte to an even length. SP walks the lists (POP BC = two
; neurons), so interrupts must be off; only the nonzero weights of nonzero inputs cost time.
; A header with minus count 0FFh is followed by a 2-bit column instead (C = its bytes;
; codes as in the cols kernel), for inputs whose weights are dense: the build picks the
; form of each column from measured activity and the TPA budget.
; Registers: DE = x, H = accumulator page, L = neuron; the alternate set holds counters:
; B' = pairs left, D' = plus count, E' = minus entries left, H' = inputs left.
; Out: accumulators updated. Uses all registers (IY is left on the first column: a layer of more
;      than 256 inputs sets IX and IY again for its next call); SP restored.
;---------------------------------------------------------------------------------------------------
HYB_INPUTS:
        LD A,B
        EXX
        LD H,A                          ; H' = inputs left
        EXX
        LD (COL_SAVED_SP),SP
        LD SP,IY                        ; SP = first column
        LD H,ACC_LO/256                 ; H = accumulator low-byte page
HY_INPUT:
        LD E,(IX+0)
        LD D,(IX+1)                     ; DE = x
        INC IX
        INC IX
        POP BC                          ; C = plus count, B = minus count
        LD A,E
        OR D
        JP Z,HY_SKIP                    ; x = 0: step over the column
        INC B
        JP Z,HY_COLS                    ; minus count 0FFh: a 2-bit column
        DEC B
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
        JR Z,HY_PLUS_DONE
        INC D
        DEC D
        JP Z,HY_PLUS8                   ; x < 256: only a carry reaches the high byte
HY_PLUS:
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
        JP NZ,HY_PLUS
HY_PLUS_DONE:
        EXX
        LD A,E                          ; A = minus entries
        BIT 0,D                         ; an odd plus entry left?
        EXX
        JR Z,HY_MINUS_START
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
        JR Z,HY_NEXT                    ; no minus entries: B was the pad
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
HY_MINUS_START:
        EXX
        LD E,A                          ; E' = minus entries left
        SRL A
        LD B,A                          ; B' = minus pairs
        EXX
        OR A
        JR Z,HY_MINUS_DONE
        INC D
        DEC D
        JP Z,HY_MINUS8                  ; x < 256: only a borrow reaches the high byte
HY_MINUS:
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
        JP NZ,HY_MINUS
HY_MINUS_DONE:
        EXX
        BIT 0,E                         ; an odd minus entry left?
        EXX
        JR Z,HY_NEXT
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
HY_NEXT:
        EXX
        DEC H                           ; inputs left
        EXX
        JP NZ,HY_INPUT
        LD SP,(COL_SAVED_SP)
        RET
HY_SKIP:        ; x = 0: SP += entries rounded up to even
        INC B
        JR Z,HY_SKIP_COLS
        DEC B
        LD A,C
        ADD A,B
        LD C,A
        LD A,0
        ADC A,A
        LD B,A                          ; BC = plus + minus entries
        INC BC
        RES 0,C                         ; rounded up to even
HY_STEP:
        EX DE,HL
        LD HL,0
        ADD HL,SP
        ADD HL,BC
        LD SP,HL
        EX DE,HL                        ; H = accumulator page again
        JP HY_NEXT
; The pair loops for 0 < x < 256 (most activations): the high byte of an
; accumulator changes only by a carry or a borrow.
HY_PLUS8:
        POP BC                          ; two +1 neurons
        LD L,C
        LD A,(HL)
        ADD A,E
        LD (HL),A
        JR NC,HY_PLUS8A
        INC H
        INC (HL)                        ; carry
        DEC H
HY_PLUS8A:
        LD L,B
        LD A,(HL)
        ADD A,E
        LD (HL),A
        JR NC,HY_PLUS8B
        INC H
        INC (HL)                        ; carry
        DEC H
HY_PLUS8B:
        EXX
        DEC B
        EXX
        JP NZ,HY_PLUS8
        JP HY_PLUS_DONE
HY_MINUS8:
        POP BC                          ; two -1 neurons
        LD L,C
        LD A,(HL)
        SUB E
        LD (HL),A
        JR NC,HY_MINUS8A
        INC H
        DEC (HL)                        ; borrow
        DEC H
HY_MINUS8A:
        LD L,B
        LD A,(HL)
        SUB E
        LD (HL),A
        JR NC,HY_MINUS8B
        INC H
        DEC (HL)                        ; borrow
        DEC H
HY_MINUS8B:
        EXX
        DEC B
        EXX
        JP NZ,HY_MINUS8
        JP HY_MINUS_DONE
HY_SKIP_COLS:        ; a 2-bit column: C = its bytes
        LD B,0
        JP HY_STEP
; A 2-bit column: eight codes per POP BC, as in COL_MAC.
HY_COLS:
        LD L,0                          ; neuron 0
HC_EIGHT:
        POP BC                          ; eight codes
        LD A,C
        OR A
        JP Z,HC_C_ZERO                  ; four zero weights: skip them at once
        SRL C                           ; bit 0 of the code
        JR C,HC_C0_ODD                  ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,HC_C0_M1                   ; 10 = -1
HC_C0_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL C                           ; bit 0 of the code
        JR C,HC_C1_ODD                  ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,HC_C1_M1                   ; 10 = -1
HC_C1_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL C                           ; bit 0 of the code
        JR C,HC_C2_ODD                  ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,HC_C2_M1                   ; 10 = -1
HC_C2_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL C                           ; bit 0 of the code
        JR C,HC_C3_ODD                  ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,HC_C3_M1                   ; 10 = -1
HC_C3_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        JP HC_B
HC_C0_ODD:
        SRL C
        JP C,HC_C0_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_C0_NEXT
HC_C1_ODD:
        SRL C
        JP C,HC_C1_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_C1_NEXT
HC_C2_ODD:
        SRL C
        JP C,HC_C2_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_C2_NEXT
HC_C3_ODD:
        SRL C
        JP C,HC_C3_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_C3_NEXT
HC_B:
        LD A,B
        OR A
        JP Z,HC_B_ZERO
        SRL B                           ; bit 0 of the code
        JR C,HC_B0_ODD                  ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,HC_B0_M1                   ; 10 = -1
HC_B0_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL B                           ; bit 0 of the code
        JR C,HC_B1_ODD                  ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,HC_B1_M1                   ; 10 = -1
HC_B1_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL B                           ; bit 0 of the code
        JR C,HC_B2_ODD                  ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,HC_B2_M1                   ; 10 = -1
HC_B2_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL B                           ; bit 0 of the code
        JR C,HC_B3_ODD                  ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,HC_B3_M1                   ; 10 = -1
HC_B3_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
HC_TEST:
        LD A,L
HC_END:
        CP 0                            ; patched: neurons rounded up to 8
        JP NZ,HC_EIGHT
        JP HY_NEXT
HC_B0_ODD:
        SRL B
        JP C,HC_B0_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_B0_NEXT
HC_B1_ODD:
        SRL B
        JP C,HC_B1_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_B1_NEXT
HC_B2_ODD:
        SRL B
        JP C,HC_B2_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_B2_NEXT
HC_B3_ODD:
        SRL B
        JP C,HC_B3_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP HC_B3_NEXT
HC_C_ZERO:
        LD A,L
        ADD A,4
        LD L,A
        JP HC_B
HC_B_ZERO:
        LD A,L
        ADD A,4
        LD L,A
        JP HC_TEST
HC_C0_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_C0_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_C0_NEXT
HC_C1_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_C1_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_C1_NEXT
HC_C2_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_C2_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_C2_NEXT
HC_C3_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_C3_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_C3_NEXT
HC_B0_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_B0_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_B0_NEXT
HC_B1_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_B1_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_B1_NEXT
HC_B2_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_B2_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_B2_NEXT
HC_B3_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
HC_B3_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP HC_B3_NEXT
