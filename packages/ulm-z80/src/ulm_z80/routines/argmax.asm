;---------------------------------------------------------------------------------------------------
; ARGMAX: A = first index of the maximum logit (signed 16-bit compare)
; Signed order is unsigned order after flipping the sign bit; a strict '>' keeps the first of
; equal values, as ulm_spec.reference.argmax.
;
; In:       LOGITS (N_CLASSES int16 values)
; Out:      A = the class
; Uses:     BC, DE, HL, IX
; Needs:    LOGITS N_CLASSES
; Defines:  ARGMAX
;---------------------------------------------------------------------------------------------------
ARGMAX:
        LD IX,LOGITS
        LD E,(IX+0)
        LD A,(IX+1)
        XOR 80h
        LD D,A                          ; DE = best so far, sign bit flipped
        LD C,0                          ; C = index of the best
        LD B,1                          ; B = index being compared
AM_NEXT:
        LD A,B
        CP N_CLASSES
        JR NC,AM_DONE
        INC IX
        INC IX
        LD L,(IX+0)
        LD A,(IX+1)
        XOR 80h
        LD H,A                          ; HL = candidate, sign bit flipped
        OR A
        SBC HL,DE
        JR C,AM_SKIP                    ; smaller
        JR Z,AM_SKIP                    ; equal: the first one wins
        ADD HL,DE
        EX DE,HL                        ; new best
        LD C,B
AM_SKIP:
        INC B
        JR AM_NEXT
AM_DONE:
        LD A,C
        RET
