;---------------------------------------------------------------------------------------------------
; ANSWER: generate and print the answer to the query in QUERY, then end the line
; Per character: encode the context, run the network, choose a class (ARGMAX; with an answer
; list ARGMAX_TRIE, among the classes the answer trie allows); stop at EOS or after MAX_OUTPUT
; characters. PROBE_CHAR and PROBE_CHOICE are where the verifier reads the layers and the choice.
;
; In:       QUERY, QUERY_LEN (from NORMALIZE)
; Out:      the answer printed, then the end of the line (the target's put_char.asm, new_line.asm)
; Uses:     all registers; CTXWIN, GEN_COUNT (and TRIE_NODE with an answer list)
; Flags:    HOISTED    layer 1's query half is computed once per query (L1_QUERY)
; Flags:    LISTED     the model lists its answers: ARGMAX_TRIE walks ANSWER_TRIE
; Flags:    CONTEXT_2  the context window holds 2 characters or more: shift it
; Includes: put_char.asm new_line.asm
; Needs:    ENCODE_QUERY ENCODE_CONTEXT FORWARD ARGMAX CHARSET CTXWIN GEN_COUNT
; Needs:    CONTEXT_LEN MAX_OUTPUT EOS_INDEX L1_QUERY ANSWER_TRIE TRIE_NODE ARGMAX_TRIE
; Defines:  ANSWER ANS_STEP PROBE_CHAR PROBE_CHOICE ANS_END
;---------------------------------------------------------------------------------------------------
ANSWER:
        CALL ENCODE_QUERY
        IF HOISTED
        CALL L1_QUERY                   ; layer 1's query half, once per query
        ENDIF
        IF LISTED
        LD HL,ANSWER_TRIE
        LD (TRIE_NODE),HL               ; every answer starts at the root of the answer trie
        ENDIF
        LD HL,CTXWIN
        LD B,CONTEXT_LEN
ANS_CLEAR:
        LD (HL),' '                     ; context window starts as spaces
        INC HL
        DJNZ ANS_CLEAR
        XOR A
        LD (GEN_COUNT),A
ANS_STEP:
        CALL ENCODE_CONTEXT
        CALL FORWARD
PROBE_CHAR:        ; reached once per character, after the forward pass
        IF LISTED
        CALL ARGMAX_TRIE                ; A = class, one the answer list allows
        ELSE
        CALL ARGMAX                     ; A = class
        ENDIF
PROBE_CHOICE:        ; reached once per character, after the choice
        CP EOS_INDEX
        JR Z,ANS_END
        LD E,A
        LD D,0
        LD HL,CHARSET
        ADD HL,DE
        LD A,(HL)                       ; A = the character
        INCLUDE "put_char.asm"          ; print it; A is kept
        CP 'A'                          ; fold A-Z to a-z for the context window
        JR C,ANS_FOLDED
        CP 'Z'+1
        JR NC,ANS_FOLDED
        ADD A,20h
ANS_FOLDED:
        IF CONTEXT_2
        LD HL,CTXWIN+1                  ; shift the window left by one
        LD DE,CTXWIN
        LD BC,CONTEXT_LEN-1
        LDIR
        ENDIF
        LD (CTXWIN+CONTEXT_LEN-1),A     ; and append the new character
        LD HL,GEN_COUNT
        INC (HL)
        LD A,(HL)
        CP MAX_OUTPUT
        JR C,ANS_STEP
ANS_END:
        INCLUDE "new_line.asm"          ; end the answer's line
        RET
