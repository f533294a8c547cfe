;---------------------------------------------------------------------------------------------------
; strings.asm (CP/M 2.2): the program's messages, '$'-terminated for BDOS 9
;
; Defines:  PROMPT CRLF NO_MEMORY
;---------------------------------------------------------------------------------------------------
PROMPT:
        DB '> $'
CRLF:
        DB 0Dh,0Ah,'$'
NO_MEMORY:
        DB 'Not enough memory',0Dh,0Ah,'$'
