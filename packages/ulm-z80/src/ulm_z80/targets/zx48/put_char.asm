;---------------------------------------------------------------------------------------------------
; put_char.asm (ZX Spectrum 48K): print the character in A on the upper screen (PRINT_CHAR, the
; ROM's RST 10h). Keeps A. Inline code (INCLUDEd where a character is printed), not a routine.
; The model's routines change IY: it is set back to ERR_NR for the ROM first.
;
; In:       A = the character
; Uses:     BC, DE, HL, IY (and what the ROM's print routine uses)
; Needs:    ERR_NR PRINT_CHAR
;---------------------------------------------------------------------------------------------------
        PUSH AF
        LD IY,ERR_NR
        CALL PRINT_CHAR
        POP AF
