;---------------------------------------------------------------------------------------------------
; put_char.asm (CP/M 2.2): print the character in A on the console (BDOS 2). Keeps A.
; Inline code (INCLUDEd where a character is printed), not a routine.
;
; In:       A = the character
; Uses:     C, E (and what the BDOS uses)
; Needs:    BDOS BDOS_CONOUT
;---------------------------------------------------------------------------------------------------
        PUSH AF
        LD E,A
        LD C,BDOS_CONOUT                ; console output
        CALL BDOS
        POP AF
