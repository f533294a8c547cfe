;===================================================================================================
; cols8.asm -- W8_INPUTS: 8-bit weight columns into the accumulator pages, by tables of multiples
; The shared routine of the cols8 kernel (layers of 8-bit weights, -128..127); each layer's own
; code (LAYER_k) is generated around it (ulm_z80/kernels/cols8.py).
;
; Needs:    ACC_LO MUL_TABLE COL_SAVED_SP COL_STRIDE
; Defines:  W8_INPUTS W8_TABLE W8_MAC W8_END
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; W8_TABLE: the multiples of x for both nibbles of an 8-bit weight   [cols8 kernel]
; A weight w (two's complement byte hhhhllll) is 16 * h + l with h signed (-8..7) and l unsigned
; (0..15), so w * x = MUL_TABLE[h] + MUL_TABLE[l] from two tables of 15 words:
;      low nibble:  MUL_TABLE + 2l      = l * x             (l = 1..15)
;      high nibble: MUL_TABLE + 32 + 2h = h * 16x, h signed (h = 1..15: +1..+7, then -8..-1)
; In:  DE = x. Out: the tables (entries for a nibble of 0 are never read). Uses A, DE, HL.
;---------------------------------------------------------------------------------------------------
W8_TABLE:
        LD H,D
        LD L,E                          ; HL = x
        LD (MUL_TABLE+2),HL             ; l = 1
        ADD HL,DE
        LD (MUL_TABLE+4),HL             ; 2
        ADD HL,DE
        LD (MUL_TABLE+6),HL             ; 3
        ADD HL,DE
        LD (MUL_TABLE+8),HL             ; 4
        ADD HL,DE
        LD (MUL_TABLE+10),HL            ; 5
        ADD HL,DE
        LD (MUL_TABLE+12),HL            ; 6
        ADD HL,DE
        LD (MUL_TABLE+14),HL            ; 7
        ADD HL,DE
        LD (MUL_TABLE+16),HL            ; 8
        ADD HL,DE
        LD (MUL_TABLE+18),HL            ; 9
        ADD HL,DE
        LD (MUL_TABLE+20),HL            ; 10
        ADD HL,DE
        LD (MUL_TABLE+22),HL            ; 11
        ADD HL,DE
        LD (MUL_TABLE+24),HL            ; 12
        ADD HL,DE
        LD (MUL_TABLE+26),HL            ; 13
        ADD HL,DE
        LD (MUL_TABLE+28),HL            ; 14
        ADD HL,DE
        LD (MUL_TABLE+30),HL            ; 15
        ADD HL,DE                       ; HL = 16x
        LD D,H
        LD E,L                          ; DE = 16x: the high nibble's step
        LD (MUL_TABLE+34),HL            ; h = +1
        ADD HL,DE
        LD (MUL_TABLE+36),HL            ; +2
        ADD HL,DE
        LD (MUL_TABLE+38),HL            ; +3
        ADD HL,DE
        LD (MUL_TABLE+40),HL            ; +4
        ADD HL,DE
        LD (MUL_TABLE+42),HL            ; +5
        ADD HL,DE
        LD (MUL_TABLE+44),HL            ; +6
        ADD HL,DE
        LD (MUL_TABLE+46),HL            ; +7
        ADD HL,DE                       ; 8 * 16x
        XOR A
        SUB L
        LD L,A
        SBC A,A
        SUB H
        LD H,A                          ; HL = -8 * 16x (two's complement, wraps like the spec)
        LD (MUL_TABLE+48),HL            ; -8
        ADD HL,DE
        LD (MUL_TABLE+50),HL            ; -7
        ADD HL,DE
        LD (MUL_TABLE+52),HL            ; -6
        ADD HL,DE
        LD (MUL_TABLE+54),HL            ; -5
        ADD HL,DE
        LD (MUL_TABLE+56),HL            ; -4
        ADD HL,DE
        LD (MUL_TABLE+58),HL            ; -3
        ADD HL,DE
        LD (MUL_TABLE+60),HL            ; -2
        ADD HL,DE
        LD (MUL_TABLE+62),HL            ; -1
        RET

;---------------------------------------------------------------------------------------------------
; W8_MAC: acc[j] += w[j] * x for every neuron j of one 8-bit weight column   [cols8 kernel]
; In:  IY = first byte of the column (one weight per byte, two's complement), MUL_TABLE = the
;      multiples of x (W8_TABLE), (W8_END+1) = neuron count rounded up to 2 (low byte; 0 means
;      256), patched by the layer.
; Out: ACC_LO/ACC_HI updated. Uses A, BC, DE, HL. SP walks the column (POP BC = two weights), so
;      interrupts must be off; SP is restored before RET.
; Registers: H = accumulator page, L = neuron; D = the tables' page, E = the entry's offset.
;---------------------------------------------------------------------------------------------------
W8_MAC:
        LD (COL_SAVED_SP),SP
        LD SP,IY                        ; SP = column pointer
        LD HL,ACC_LO                    ; L = neuron 0; H = low-byte page, H+1 = high-byte page
        LD D,MUL_TABLE/256              ; D = the tables' page (MUL_TABLE is page-aligned)
W8_TWO:
        POP BC                          ; C = neuron L's weight, B = neuron L+1's
        LD A,C
        OR A
        JR Z,W8_NEXT0                   ; weight 0: nothing to add
        ADD A,A
        AND 1Eh                         ; 2 x the low nibble
        JR Z,W8_HIGH0                   ; low nibble 0: only the high one adds
        LD E,A
        LD A,(DE)                       ; acc[L] += l * x, low byte
        ADD A,(HL)
        LD (HL),A
        INC E
        INC H
        LD A,(DE)                       ; high byte, with the carry
        ADC A,(HL)
        LD (HL),A
        DEC H
W8_HIGH0:
        LD A,C
        RRCA
        RRCA
        RRCA
        AND 1Eh                         ; 2 x the high nibble
        JR Z,W8_NEXT0
        OR 20h                          ; in the high nibble's table
        LD E,A
        LD A,(DE)                       ; acc[L] += h * 16x
        ADD A,(HL)
        LD (HL),A
        INC E
        INC H
        LD A,(DE)
        ADC A,(HL)
        LD (HL),A
        DEC H
W8_NEXT0:
        INC L                           ; next neuron
        LD A,B
        OR A
        JR Z,W8_NEXT1
        ADD A,A
        AND 1Eh
        JR Z,W8_HIGH1
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
W8_HIGH1:
        LD A,B
        RRCA
        RRCA
        RRCA
        AND 1Eh
        JR Z,W8_NEXT1
        OR 20h
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
W8_NEXT1:
        INC L
        LD A,L
W8_END:
        CP 0                            ; patched: neurons rounded up to 2
        JP NZ,W8_TWO
        LD SP,(COL_SAVED_SP)
        RET

;---------------------------------------------------------------------------------------------------
; W8_INPUTS: for every nonzero input of a range, its multiples, then its column   [cols8 kernel]
; In:  IX = first input (int16), IY = its weight column, B = inputs (0 means 256),
;      (COL_STRIDE) = bytes per column.
; Out: IX = the input after the range, IY = its column: a layer of more than 256 inputs (layer 1
;      with over 256 query buckets) calls again with only a new B. Uses all registers.
;---------------------------------------------------------------------------------------------------
W8_INPUTS:
        LD E,(IX+0)
        LD D,(IX+1)                     ; DE = x
        LD A,E
        OR D
        JR Z,W8_SKIP                    ; x = 0 adds nothing: skip the whole column
        PUSH BC
        CALL W8_TABLE
        CALL W8_MAC
        POP BC
W8_SKIP:
        INC IX
        INC IX
        LD DE,(COL_STRIDE)
        ADD IY,DE                       ; next column
        DJNZ W8_INPUTS
        RET
