;===================================================================================================
; cols.asm -- COL_MAC and COL_INPUTS: weight columns of 2-bit codes into the accumulator pages
; The shared routine of the cols kernel; each layer's own code (LAYER_k) is generated around it
; (ulm_z80/kernels/cols.py).
;
; Needs:    ACC_LO COL_SAVED_SP COL_STRIDE
; Defines:  COL_MAC COL_INPUTS COL_END
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; COL_MAC: acc[j] += w[j] * x for every neuron j of one weight column   [cols kernel]
; In:  DE = x (nonzero), IY = first byte of the column, (COL_END+1) = neuron count rounded
;      up to 8 (low byte; 0 means 256), patched by the layer before its first call.
; Out: ACC_LO/ACC_HI updated. Uses A, BC, HL. SP walks the column (POP BC = 8 codes),
;      so interrupts must be off; SP is restored before RET.
; Codes: 00 = 0, 01 = +1, 10 = -1, 11 = -2; C holds neurons L..L+3, B neurons L+4..L+7.
;---------------------------------------------------------------------------------------------------
COL_MAC:
        LD (COL_SAVED_SP),SP
        LD SP,IY                        ; SP = column pointer
        LD HL,ACC_LO                    ; L = neuron 0; H = low-byte page, H+1 = high-byte page
COL_EIGHT:
        POP BC                          ; eight codes
        LD A,C
        OR A
        JP Z,COL_C_ZERO                 ; four zero weights: skip them at once
        SRL C                           ; bit 0 of the code
        JR C,COL_C0_ODD                 ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,COL_C0_M1                  ; 10 = -1
COL_C0_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL C                           ; bit 0 of the code
        JR C,COL_C1_ODD                 ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,COL_C1_M1                  ; 10 = -1
COL_C1_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL C                           ; bit 0 of the code
        JR C,COL_C2_ODD                 ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,COL_C2_M1                  ; 10 = -1
COL_C2_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL C                           ; bit 0 of the code
        JR C,COL_C3_ODD                 ; 01 = +1 or 11 = -2
        SRL C                           ; bit 1
        JP C,COL_C3_M1                  ; 10 = -1
COL_C3_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        JP COL_B
; +1 / -2 handlers of the low byte, kept within JR reach of their tests
COL_C0_ODD:
        SRL C
        JP C,COL_C0_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_C0_NEXT
COL_C1_ODD:
        SRL C
        JP C,COL_C1_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_C1_NEXT
COL_C2_ODD:
        SRL C
        JP C,COL_C2_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_C2_NEXT
COL_C3_ODD:
        SRL C
        JP C,COL_C3_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_C3_NEXT
COL_B:
        LD A,B
        OR A
        JP Z,COL_B_ZERO
        SRL B                           ; bit 0 of the code
        JR C,COL_B0_ODD                 ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,COL_B0_M1                  ; 10 = -1
COL_B0_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL B                           ; bit 0 of the code
        JR C,COL_B1_ODD                 ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,COL_B1_M1                  ; 10 = -1
COL_B1_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL B                           ; bit 0 of the code
        JR C,COL_B2_ODD                 ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,COL_B2_M1                  ; 10 = -1
COL_B2_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
        SRL B                           ; bit 0 of the code
        JR C,COL_B3_ODD                 ; 01 = +1 or 11 = -2
        SRL B                           ; bit 1
        JP C,COL_B3_M1                  ; 10 = -1
COL_B3_NEXT:
        INC L                           ; 00 = 0, or back from a handler: next neuron
COL_TEST:
        LD A,L
COL_END:
        CP 0                            ; patched: neurons rounded up to 8
        JP NZ,COL_EIGHT
        LD SP,(COL_SAVED_SP)
        RET
; +1 / -2 handlers of the high byte
COL_B0_ODD:
        SRL B
        JP C,COL_B0_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_B0_NEXT
COL_B1_ODD:
        SRL B
        JP C,COL_B1_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_B1_NEXT
COL_B2_ODD:
        SRL B
        JP C,COL_B2_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_B2_NEXT
COL_B3_ODD:
        SRL B
        JP C,COL_B3_M2
        LD A,(HL)                       ; +1: acc[L] += x
        ADD A,E
        LD (HL),A
        INC H
        LD A,(HL)
        ADC A,D
        LD (HL),A
        DEC H
        JP COL_B3_NEXT
COL_C_ZERO:
        LD A,L
        ADD A,4
        LD L,A
        JP COL_B
COL_B_ZERO:
        LD A,L
        ADD A,4
        LD L,A
        JP COL_TEST
; -1 / -2 handlers
COL_C0_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_C0_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_C0_NEXT
COL_C1_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_C1_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_C1_NEXT
COL_C2_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_C2_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_C2_NEXT
COL_C3_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_C3_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_C3_NEXT
COL_B0_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_B0_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_B0_NEXT
COL_B1_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_B1_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_B1_NEXT
COL_B2_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_B2_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_B2_NEXT
COL_B3_M2:
        LD A,(HL)                       ; -2: acc[L] -= x, then once more below
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
COL_B3_M1:
        LD A,(HL)                       ; -1: acc[L] -= x
        SUB E
        LD (HL),A
        INC H
        LD A,(HL)
        SBC A,D
        LD (HL),A
        DEC H
        JP COL_B3_NEXT

;---------------------------------------------------------------------------------------------------
; COL_INPUTS: run COL_MAC for every nonzero input of a range   [cols kernel]
; In:  IX = first input (int16), IY = its weight column, B = inputs (0 means 256),
;      (COL_STRIDE) = bytes per column.
; Out: IX = the input after the range, IY = its column: a layer of more than 256 inputs (layer 1
;      with over 256 query buckets) calls again with only a new B. Uses all registers.
;---------------------------------------------------------------------------------------------------
COL_INPUTS:
        LD E,(IX+0)
        LD D,(IX+1)                     ; DE = x
        LD A,E
        OR D
        JR Z,COL_SKIP                   ; x = 0 adds nothing: skip the whole column
        PUSH BC
        CALL COL_MAC
        POP BC
COL_SKIP:
        INC IX
        INC IX
        LD DE,(COL_STRIDE)
        ADD IY,DE                       ; next column
        DJNZ COL_INPUTS
        RET
