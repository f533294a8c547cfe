;===================================================================================================
; cols4.asm -- W4_INPUTS: 4-bit weight columns into the accumulator pages, by a table of multiples
; The shared routine of the cols4 kernel (layers of 4-bit weights, -8..7); each layer's own code
; (LAYER_k) is generated around it (ulm_z80/kernels/cols4.py).
;
; Needs:    ACC_LO MUL_TABLE COL_SAVED_SP COL_STRIDE
; Defines:  W4_INPUTS W4_TABLE W4_MAC W4_END
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; W4_TABLE: MUL_TABLE[c] = w(c) * x for every 4-bit code c = 1..15   [cols4 kernel]
; In:  DE = x. Out: the table, one word per code at MUL_TABLE + 2c: codes 1..7 are +1..+7,
;      codes 8..15 are -8..-1 (the weight's low four bits, two's complement). Code 0 (weight 0)
;      is never read. Uses A, HL; keeps DE.
; Why a table: a nonzero input meets every weight of its column, so its 15 multiples cost 14 adds
; once instead of a shift-and-add multiply per weight (see docs/precision.rst).
;---------------------------------------------------------------------------------------------------
W4_TABLE:
        LD H,D
        LD L,E                          ; HL = x
        LD (MUL_TABLE+2),HL             ; +1
        ADD HL,DE
        LD (MUL_TABLE+4),HL             ; +2
        ADD HL,DE
        LD (MUL_TABLE+6),HL             ; +3
        ADD HL,DE
        LD (MUL_TABLE+8),HL             ; +4
        ADD HL,DE
        LD (MUL_TABLE+10),HL            ; +5
        ADD HL,DE
        LD (MUL_TABLE+12),HL            ; +6
        ADD HL,DE
        LD (MUL_TABLE+14),HL            ; +7
        ADD HL,DE                       ; 8x
        XOR A
        SUB L
        LD L,A
        SBC A,A
        SUB H
        LD H,A                          ; HL = -8x (two's complement, wraps like the spec)
        LD (MUL_TABLE+16),HL            ; -8
        ADD HL,DE
        LD (MUL_TABLE+18),HL            ; -7
        ADD HL,DE
        LD (MUL_TABLE+20),HL            ; -6
        ADD HL,DE
        LD (MUL_TABLE+22),HL            ; -5
        ADD HL,DE
        LD (MUL_TABLE+24),HL            ; -4
        ADD HL,DE
        LD (MUL_TABLE+26),HL            ; -3
        ADD HL,DE
        LD (MUL_TABLE+28),HL            ; -2
        ADD HL,DE
        LD (MUL_TABLE+30),HL            ; -1
        RET

;---------------------------------------------------------------------------------------------------
; W4_MAC: acc[j] += w[j] * x for every neuron j of one 4-bit weight column   [cols4 kernel]
; In:  IY = first byte of the column, MUL_TABLE = the multiples of x (W4_TABLE),
;      (W4_END+1) = neuron count rounded up to 4 (low byte; 0 means 256), patched by the layer.
; Column: two codes per byte, the first neuron in the low nibble; a code is the weight's low
;      four bits (0 = weight 0, which costs a test and no add).
; Out: ACC_LO/ACC_HI updated. Uses A, BC, DE, HL. SP walks the column (POP BC = four codes),
;      so interrupts must be off; SP is restored before RET.
; Registers: H = accumulator page, L = neuron; D = the table's page, E = 2 x code.
;---------------------------------------------------------------------------------------------------
W4_MAC:
        LD (COL_SAVED_SP),SP
        LD SP,IY                        ; SP = column pointer
        LD HL,ACC_LO                    ; L = neuron 0; H = low-byte page, H+1 = high-byte page
        LD D,MUL_TABLE/256              ; D = the table's page (MUL_TABLE is page-aligned)
W4_FOUR:
        POP BC                          ; four codes: C = neurons L, L+1; B = neurons L+2, L+3
        LD A,C
        ADD A,A
        AND 1Eh                         ; 2 x the low nibble's code
        JR Z,W4_NEXT0                   ; weight 0: nothing to add
        LD E,A
        LD A,(DE)                       ; acc[L] += w * x, low byte
        ADD A,(HL)
        LD (HL),A
        INC E
        INC H
        LD A,(DE)                       ; high byte, with the carry
        ADC A,(HL)
        LD (HL),A
        DEC H
W4_NEXT0:
        INC L                           ; next neuron
        LD A,C
        RRCA
        RRCA
        RRCA
        AND 1Eh                         ; 2 x the high nibble's code
        JR Z,W4_NEXT1
        LD E,A
        LD A,(DE)
        ADD A,(HL)
        LD (HL),A
        INC E
        INC H
        LD A,(DE)
        ADC A,(HL)
        LD (HL),A
        DEC H
W4_NEXT1:
        INC L
        LD A,B
        ADD A,A
        AND 1Eh
        JR Z,W4_NEXT2
        LD E,A
        LD A,(DE)
        ADD A,(HL)
        LD (HL),A
        INC E
        INC H
        LD A,(DE)
        ADC A,(HL)
        LD (HL),A
        DEC H
W4_NEXT2:
        INC L
        LD A,B
        RRCA
        RRCA
        RRCA
        AND 1Eh
        JR Z,W4_NEXT3
        LD E,A
        LD A,(DE)
        ADD A,(HL)
        LD (HL),A
        INC E
        INC H
        LD A,(DE)
        ADC A,(HL)
        LD (HL),A
        DEC H
W4_NEXT3:
        INC L
        LD A,L
W4_END:
        CP 0                            ; patched: neurons rounded up to 4
        JP NZ,W4_FOUR
        LD SP,(COL_SAVED_SP)
        RET

;---------------------------------------------------------------------------------------------------
; W4_INPUTS: for every nonzero input of a range, its multiples, then its column   [cols4 kernel]
; In:  IX = first input (int16), IY = its weight column, B = inputs (0 means 256),
;      (COL_STRIDE) = bytes per column.
; Out: IX = the input after the range, IY = its column: a layer of more than 256 inputs (layer 1
;      with over 256 query buckets) calls again with only a new B. Uses all registers.
;---------------------------------------------------------------------------------------------------
W4_INPUTS:
        LD E,(IX+0)
        LD D,(IX+1)                     ; DE = x
        LD A,E
        OR D
        JR Z,W4_SKIP                    ; x = 0 adds nothing: skip the whole column
        PUSH BC
        CALL W4_TABLE
        CALL W4_MAC
        POP BC
W4_SKIP:
        INC IX
        INC IX
        LD DE,(COL_STRIDE)
        ADD IY,DE                       ; next column
        DJNZ W4_INPUTS
        RET
