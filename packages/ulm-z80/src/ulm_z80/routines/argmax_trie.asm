;---------------------------------------------------------------------------------------------------
; ARGMAX_TRIE: A = the allowed class with the largest logit (signed; the first among equals)
; Replaces ARGMAX when the model lists its answers. The allowed classes are the edges of the
; answer-trie node at TRIE_NODE, ascending, so a strict '>' scan keeps the first maximum,
; as ulm_spec.answers.constrained_argmax does. A node with one edge needs no comparison.
; The trie (ANSWER_TRIE, generated): per node DB edges, then per edge DB class, DW child; the
; EOS edge is last and has no child (ulm_z80/trie.py).
;
; In:       TRIE_NODE = the current node (ANSWER sets the root), LOGITS = the logits
; Out:      A = CHOICE = the class; TRIE_NODE = the chosen edge's child (after EOS: unchanged)
; Uses:     A, BC, DE, HL, IX
; Needs:    TRIE_NODE CHOICE LOGITS EOS_INDEX
; Defines:  ARGMAX_TRIE
;---------------------------------------------------------------------------------------------------
ARGMAX_TRIE:
        LD HL,(TRIE_NODE)
        LD B,(HL)                       ; B = edges of this node (at least one)
        INC HL                          ; HL = its first edge
        PUSH HL
        POP IX                          ; IX = the best edge so far: the first
        DEC B
        JR Z,AT_TAKE                    ; one edge: nothing to compare
        INC B
        LD DE,0                         ; DE = the best logit, sign bit flipped: -32768, the least
AT_EDGE:        ; HL = an edge, B = edges left, DE = best so far, IX = its edge
        PUSH HL
        LD A,(HL)                       ; the edge's class
        ADD A,A                         ; 2 * class: at most 128, no carry
        LD HL,LOGITS
        ADD A,L
        LD L,A
        ADC A,H
        SUB L
        LD H,A                          ; HL = LOGITS + 2 * class
        LD A,(HL)
        INC HL
        LD H,(HL)
        LD L,A                          ; HL = the class's logit
        LD A,H
        XOR 80h
        LD H,A                          ; sign bit flipped: signed order is now unsigned order
        LD A,E
        SUB L
        LD A,D
        SBC A,H                         ; carry: best < this logit (strictly; equal keeps the earlier class)
        JR NC,AT_LOWER
        EX DE,HL                        ; a new best logit ...
        POP IX                          ; ... and its edge
        PUSH IX
AT_LOWER:
        POP HL
        INC HL
        INC HL
        INC HL                          ; the next edge (only the last one, EOS, is shorter)
        DJNZ AT_EDGE
AT_TAKE:        ; IX = the chosen edge
        LD A,(IX+0)                     ; A = its class
        LD (CHOICE),A
        CP EOS_INDEX
        RET Z                           ; EOS has no child: the answer ends
        LD L,(IX+1)
        LD H,(IX+2)
        LD (TRIE_NODE),HL               ; the next character's node
        RET
