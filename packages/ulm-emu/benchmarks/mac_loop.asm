; Inner loop of a 2-bit-weight dot product, the hot loop of a ulm model.
; Weights are packed four to a byte, codes 0..3 meaning {0, +1, -2, -1};
; activations are signed bytes; the sum is a 16-bit accumulator in HL.
; The whole dot product (256 weights) is repeated forever.
        org  0100h
again:  ld   ix, weights
        ld   iy, acts
        ld   hl, 0              ; accumulator
        ld   b, 64              ; 64 weight bytes = 256 weights
wbyte:  ld   c, (ix+0)          ; four packed weights
        inc  ix
        push bc
        ld   b, 4
weight: ld   e, (iy+0)          ; activation, sign-extended into DE
        inc  iy
        ld   a, e
        rla
        sbc  a, a
        ld   d, a
        ld   a, c               ; next 2-bit code from the low bits
        rrc  c
        rrc  c
        and  3
        jr   z, skip            ; 0: no contribution
        dec  a
        jr   nz, minus
        add  hl, de             ; 1: +x
        djnz weight
        jr   done
minus:  or   a
        sbc  hl, de             ; 2 or 3: -x
        dec  a
        jr   nz, skip           ; 3: -x once
        sbc  hl, de             ; 2: -2x (carry from the first is part of the test)
skip:   djnz weight
done:   pop  bc
        djnz wbyte
        ld   (result), hl
        jr   again
result: dw   0
weights:
        db   1Bh, 0E4h, 39h, 0C6h, 72h, 8Dh, 55h, 0AAh
        db   0FFh, 00h, 12h, 34h, 56h, 78h, 9Ah, 0BCh
        db   1Bh, 0E4h, 39h, 0C6h, 72h, 8Dh, 55h, 0AAh
        db   0FFh, 00h, 12h, 34h, 56h, 78h, 9Ah, 0BCh
        db   1Bh, 0E4h, 39h, 0C6h, 72h, 8Dh, 55h, 0AAh
        db   0FFh, 00h, 12h, 34h, 56h, 78h, 9Ah, 0BCh
        db   1Bh, 0E4h, 39h, 0C6h, 72h, 8Dh, 55h, 0AAh
        db   0FFh, 00h, 12h, 34h, 56h, 78h, 9Ah, 0BCh
acts:
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        db   7, -3, 12, -128, 127, 0, 45, -77, 9, 1, -1, 2, -2, 100, -100, 33
        end
