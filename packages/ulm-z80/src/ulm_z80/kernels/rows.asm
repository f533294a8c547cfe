;===================================================================================================
; rows.asm -- PK_DOT and PK_MAC: one packed spec row times the input vector
; The shared routine of the rows kernel; each layer's own code (LAYER_k) is generated around it
; (ulm_z80/kernels/rows.py).
;
; Needs:    PK_X PK_ROWBYTES
; Defines:  PK_DOT PK_DOT_MORE PK_MAC
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; PK_DOT: HL += dot(packed weight row, input vector)   [rows kernel]
; In:  HL = accumulator (the bias), IX = first byte of the row (spec packing: code = w + 2,
;      four codes per byte, first weight in the lowest bits), (PK_X) = address of x[0],
;      (PK_ROWBYTES) = bytes per row (0 means 256).
; Out: HL = accumulator (wrapped to 16 bits), IX = first byte of the next row, DE = &x[i] of
;      the input after the bytes done.
; Uses: A, BC, DE. A padding code (2 = weight 0) is skipped like any zero weight, so the
; input pointer may run past the vector without ever being read there.
; PK_DOT_MORE: the same, going on from DE = &x[i] with B = bytes (0 means 256): a row of more
; than 256 bytes (layer 1 with over 1020 inputs) is done as PK_DOT, then PK_DOT_MORE.
;---------------------------------------------------------------------------------------------------
PK_DOT:
        LD DE,(PK_X)                    ; DE = &x[i]
        LD A,(PK_ROWBYTES)
        LD B,A                          ; B = bytes left in this row
PK_DOT_MORE:
PK_BYTE:
        LD C,(IX+0)                     ; C = four codes
        INC IX
        LD A,C
        AND 3                           ; code of weight 0 of this byte
        CP 2
        JR Z,PK_ZERO0                   ; weight 0: nothing to add
        CALL PK_MAC
PK_ZERO0:
        INC DE
        INC DE                          ; next input
        RRC C
        RRC C                           ; next code into the low bits
        LD A,C
        AND 3                           ; code of weight 1 of this byte
        CP 2
        JR Z,PK_ZERO1                   ; weight 0: nothing to add
        CALL PK_MAC
PK_ZERO1:
        INC DE
        INC DE                          ; next input
        RRC C
        RRC C                           ; next code into the low bits
        LD A,C
        AND 3                           ; code of weight 2 of this byte
        CP 2
        JR Z,PK_ZERO2                   ; weight 0: nothing to add
        CALL PK_MAC
PK_ZERO2:
        INC DE
        INC DE                          ; next input
        RRC C
        RRC C                           ; next code into the low bits
        LD A,C
        AND 3                           ; code of weight 3 of this byte
        CP 2
        JR Z,PK_ZERO3                   ; weight 0: nothing to add
        CALL PK_MAC
PK_ZERO3:
        INC DE
        INC DE                          ; next input
        DJNZ PK_BYTE
        RET

;---------------------------------------------------------------------------------------------------
; PK_MAC: HL += w * x for one nonzero weight   [rows kernel]
; In:  A = code (0 = -2, 1 = -1, 3 = +1), DE = &x[i], HL = accumulator.
; Out: HL = accumulator. Keeps BC and DE.
;---------------------------------------------------------------------------------------------------
PK_MAC:
        PUSH BC
        EX DE,HL
        LD C,(HL)
        INC HL
        LD B,(HL)                       ; BC = x
        DEC HL
        EX DE,HL                        ; HL = accumulator, DE = &x[i] again
        CP 3
        JR Z,PK_PLUS
        OR A                            ; code 0 or 1; clears carry for SBC
        JR NZ,PK_MINUS                  ; code 1: -1 * x
        SBC HL,BC                       ; code 0: -2 * x = subtract twice
PK_MINUS:
        OR A
        SBC HL,BC
        POP BC
        RET
PK_PLUS:
        ADD HL,BC                       ; code 3: +1 * x
        POP BC
        RET
