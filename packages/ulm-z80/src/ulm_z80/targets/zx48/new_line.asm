;---------------------------------------------------------------------------------------------------
; new_line.asm (ZX Spectrum 48K): end the screen line: print ENTER (0Dh) through PRINT_CHAR.
; Inline code (INCLUDEd where an answer ends), not a routine.
;
; Uses:     A, BC, DE, HL, IY (and what the ROM's print routine uses)
; Needs:    ERR_NR NEWLINE PRINT_CHAR
;---------------------------------------------------------------------------------------------------
        LD IY,ERR_NR
        LD A,NEWLINE
        CALL PRINT_CHAR
