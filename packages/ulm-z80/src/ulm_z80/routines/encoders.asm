;===================================================================================================
; encoders.asm -- the input vector: the trigram query encoder and the context encoder
; As ulm_spec.hashing, byte for byte: HASH_STEP, ADD_SCALE, ENCODE_QUERY, ENCODE_CONTEXT.
;
; Flags:    CONTEXT_2  the context window holds 2 characters or more: 2-grams
; Flags:    CONTEXT_3  ... 3 characters or more: 3-grams
; Flags:    WIDE_QUERY  more than 256 query buckets: the query is hashed in 16 bits (HASH_STEP16)
; Needs:    INPUT QUERY QUERY_LEN CTXWIN QUERY_BUCKETS CONTEXT_BUCKETS CONTEXT_LEN ACT_SCALE
; Defines:  HASH_STEP ADD_SCALE ADD_SCALE_HL ENCODE_QUERY ENCODE_CONTEXT
;===================================================================================================

;---------------------------------------------------------------------------------------------------
; HASH_STEP: A = A * 31 + C, modulo 256. Uses D.
; The spec hashes h = (h * 31 + byte) mod 65536 and uses only h mod buckets (bucket =
; h & (buckets-1)). For up to 256 buckets, buckets divides 256 (and 65536), so reducing modulo
; 256 after every step keeps h mod buckets exact: (h * 31 + c) mod 256 depends only on
; h mod 256. So 8 bits suffice: h * 31 = h * 32 - h, and h * 32 mod 256 is h rotated left 5
; (= right 3) masked to E0h. A bucket of 512 or more needs bits of h above the low byte, and
; those depend on the high byte too: such a query is hashed by HASH_STEP16 (WIDE_QUERY).
;---------------------------------------------------------------------------------------------------
HASH_STEP:
        LD D,A
        RRCA
        RRCA
        RRCA
        AND 0E0h                        ; A = h * 32 mod 256
        SUB D                           ; h * 31
        ADD A,C                         ; + byte
        RET

;---------------------------------------------------------------------------------------------------
; ADD_SCALE: int16 array at DE, element A += ACT_SCALE. Uses A, HL.
; ADD_SCALE_HL: the same for element HL (a bucket of 256 or more). Uses A, HL.
;---------------------------------------------------------------------------------------------------
ADD_SCALE:
        LD L,A
        LD H,0
ADD_SCALE_HL:
        ADD HL,HL
        ADD HL,DE
        LD A,(HL)
        ADD A,ACT_SCALE
        LD (HL),A
        INC HL
        LD A,(HL)
        ADC A,0
        LD (HL),A
        RET

;---------------------------------------------------------------------------------------------------
; ENCODE_QUERY: INPUT[0 .. QUERY_BUCKETS) from QUERY (the trigram encoder)
; Every 3-byte window of ' ' + text + ' ' is hashed from seed 0; bucket h & (buckets-1)
; gets ACT_SCALE. An empty query leaves all zeros. Uses all registers.
; Up to 256 buckets the hash is kept in A (HASH_STEP); with more (WIDE_QUERY) in HL
; (HASH_STEP16), and the bucket is a 16-bit index. Once per query either way.
;---------------------------------------------------------------------------------------------------
ENCODE_QUERY:
        LD HL,INPUT
        LD DE,INPUT+1
        LD (HL),0
        LD BC,2*QUERY_BUCKETS-1
        LDIR                            ; clear the query half
        LD A,(QUERY_LEN)
        OR A
        RET Z
        LD B,A                          ; one trigram per normalised byte
        IF WIDE_QUERY
        LD DE,QUERY
EQ_TRIGRAM16:
        PUSH BC
        LD HL,0                         ; seed 0
        LD A,(DE)
        CALL HASH_STEP16
        INC DE
        LD A,(DE)
        CALL HASH_STEP16
        INC DE
        LD A,(DE)
        CALL HASH_STEP16
        DEC DE                          ; DE = start of the next trigram
        LD A,H
        AND QUERY_BUCKETS/256-1         ; the high byte of buckets-1 (a power of two >= 512)
        LD H,A                          ; HL = bucket = h & (buckets-1): the low byte is kept whole
        PUSH DE
        LD DE,INPUT
        CALL ADD_SCALE_HL
        POP DE
        POP BC
        DJNZ EQ_TRIGRAM16
        RET

;---------------------------------------------------------------------------------------------------
; HASH_STEP16: HL = HL * 31 + A, modulo 65536 (as the spec). Keeps A and DE; uses BC.
; HL * 32 by five doublings, minus HL, plus the byte.
;---------------------------------------------------------------------------------------------------
HASH_STEP16:
        LD B,H
        LD C,L                          ; BC = h
        ADD HL,HL
        ADD HL,HL
        ADD HL,HL
        ADD HL,HL
        ADD HL,HL                       ; HL = h * 32
        OR A                            ; carry off for SBC (A is kept)
        SBC HL,BC                       ; h * 31
        LD C,A
        LD B,0
        ADD HL,BC                       ; + byte
        RET
        ELSE
        LD HL,QUERY
EQ_TRIGRAM:
        XOR A                           ; seed 0
        LD C,(HL)
        CALL HASH_STEP
        INC HL
        LD C,(HL)
        CALL HASH_STEP
        INC HL
        LD C,(HL)
        CALL HASH_STEP
        DEC HL                          ; HL = start of the next trigram
        AND QUERY_BUCKETS-1             ; bucket
        PUSH HL
        LD DE,INPUT
        CALL ADD_SCALE
        POP HL
        DJNZ EQ_TRIGRAM
        RET
        ENDIF

;---------------------------------------------------------------------------------------------------
; ENCODE_CONTEXT: INPUT[QUERY_BUCKETS ..] from CTXWIN (the context encoder)
; For n = 1, 2, 3 and every start pos, the n-gram CTXWIN[pos .. pos+n) is hashed from
; seed pos * 7; bucket h & (buckets-1) gets ACT_SCALE. A window of CONTEXT_LEN characters has
; CONTEXT_LEN - n + 1 n-grams: none of 2 or 3 characters when it is shorter. Uses all registers.
;---------------------------------------------------------------------------------------------------
ENCODE_CONTEXT:
        LD HL,INPUT+2*QUERY_BUCKETS
        LD DE,INPUT+2*QUERY_BUCKETS+1
        LD (HL),0
        LD BC,2*CONTEXT_BUCKETS-1
        LDIR                            ; clear the context half
; 1-grams: CONTEXT_LEN start positions
        LD HL,CTXWIN
        LD B,CONTEXT_LEN
        LD E,0                          ; E = seed = pos * 7
EC_GRAM1:
        PUSH HL
        PUSH DE
        LD A,E
        LD C,(HL)
        CALL HASH_STEP
        AND CONTEXT_BUCKETS-1           ; bucket
        LD DE,INPUT+2*QUERY_BUCKETS
        CALL ADD_SCALE
        POP DE
        POP HL
        INC HL
        LD A,E
        ADD A,7
        LD E,A
        DJNZ EC_GRAM1
        IF CONTEXT_2
; 2-grams: CONTEXT_LEN - 1 start positions
        LD HL,CTXWIN
        LD B,CONTEXT_LEN-1
        LD E,0                          ; E = seed = pos * 7
EC_GRAM2:
        PUSH HL
        PUSH DE
        LD A,E
        LD C,(HL)
        CALL HASH_STEP
        INC HL
        LD C,(HL)
        CALL HASH_STEP
        AND CONTEXT_BUCKETS-1           ; bucket
        LD DE,INPUT+2*QUERY_BUCKETS
        CALL ADD_SCALE
        POP DE
        POP HL
        INC HL
        LD A,E
        ADD A,7
        LD E,A
        DJNZ EC_GRAM2
        ENDIF
        IF CONTEXT_3
; 3-grams: CONTEXT_LEN - 2 start positions
        LD HL,CTXWIN
        LD B,CONTEXT_LEN-2
        LD E,0                          ; E = seed = pos * 7
EC_GRAM3:
        PUSH HL
        PUSH DE
        LD A,E
        LD C,(HL)
        CALL HASH_STEP
        INC HL
        LD C,(HL)
        CALL HASH_STEP
        INC HL
        LD C,(HL)
        CALL HASH_STEP
        AND CONTEXT_BUCKETS-1           ; bucket
        LD DE,INPUT+2*QUERY_BUCKETS
        CALL ADD_SCALE
        POP DE
        POP HL
        INC HL
        LD A,E
        ADD A,7
        LD E,A
        DJNZ EC_GRAM3
        ENDIF
        RET
