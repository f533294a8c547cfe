;---------------------------------------------------------------------------------------------------
; strings.asm (ZX Spectrum 48K): the program's messages, ending with a 0 byte (PRINT_TEXT); 0Dh
; starts a new line. The screen is 32 characters wide.
;
; Defines:  BANNER PROMPT NO_MEMORY
;---------------------------------------------------------------------------------------------------
BANNER:
        DB "ulm: Z80-uLM on a ZX Spectrum",0Dh
        DB "Type a question and press ENTER.",0Dh
        DB "! and ENTER: back to BASIC.",0Dh,0Dh,0
PROMPT:
        DB "> ",0
NO_MEMORY:
        DB "Not enough memory",0Dh,0
