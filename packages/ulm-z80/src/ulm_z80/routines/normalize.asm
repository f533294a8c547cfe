;---------------------------------------------------------------------------------------------------
; NORMALIZE: raw query -> QUERY = ' ' + normalised text + ' ', QUERY_LEN = its length
; As ulm_spec.text.normalize_query: cut to LINE_MAX (127) bytes; A-Z -> a-z; control bytes,
; 7Fh and >= 80h -> space; leading/trailing spaces dropped, runs collapsed to one.
; (The CCP upper-cases a command tail; the folding undoes that.)
;
; In:       HL = raw bytes, B = count
; Out:      QUERY, QUERY_LEN
; Uses:     A, BC, DE, HL
; Needs:    QUERY QUERY_LEN LINE_MAX
; Defines:  NORMALIZE
;---------------------------------------------------------------------------------------------------
NORMALIZE:
        LD A,B
        CP LINE_MAX+1
        JR C,NORM_CUT
        LD B,LINE_MAX                   ; cut to the first 127 bytes
NORM_CUT:
        LD A,' '
        LD (QUERY),A                    ; the leading pad space
        LD DE,QUERY+1                   ; DE = output
        LD C,0                          ; C = normalised length
        INC B
        DEC B
        JR Z,NORM_END
NORM_LOOP:
        LD A,(HL)
        INC HL
        CP 'A'
        JR C,NORM_NOTUP
        CP 'Z'+1
        JR NC,NORM_NOTUP
        ADD A,20h                       ; A-Z -> a-z
        JR NORM_STORE
NORM_NOTUP:
        CP 21h
        JR C,NORM_SPACE                 ; control bytes and the space itself
        CP 7Fh
        JR C,NORM_STORE                 ; printable: kept
NORM_SPACE:        ; a space: only after a non-space
        INC C
        DEC C
        JR Z,NORM_NEXT                  ; nothing yet: a leading space
        DEC DE
        LD A,(DE)
        INC DE
        CP ' '
        JR Z,NORM_NEXT                  ; previous was a space: collapse
        LD A,' '
NORM_STORE:
        LD (DE),A
        INC DE
        INC C
NORM_NEXT:
        DJNZ NORM_LOOP
NORM_END:
        INC C
        DEC C
        JR Z,NORM_PAD
        DEC DE
        LD A,(DE)
        CP ' '
        JR Z,NORM_TRAIL                 ; a trailing space: it becomes the pad
        INC DE
        JR NORM_PAD
NORM_TRAIL:
        DEC C
NORM_PAD:
        LD A,' '
        LD (DE),A                       ; the trailing pad space
        LD A,C
        LD (QUERY_LEN),A
        RET
