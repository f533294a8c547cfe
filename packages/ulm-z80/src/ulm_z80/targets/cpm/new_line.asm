;---------------------------------------------------------------------------------------------------
; new_line.asm (CP/M 2.2): end the console line: print CR LF (BDOS 9).
; Inline code (INCLUDEd where an answer ends), not a routine.
;
; Uses:     C, DE (and what the BDOS uses)
; Needs:    BDOS BDOS_PRINT CRLF
;---------------------------------------------------------------------------------------------------
        LD DE,CRLF
        LD C,BDOS_PRINT
        CALL BDOS
