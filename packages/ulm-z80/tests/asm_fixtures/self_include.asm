        INCLUDE "self_include.asm"
