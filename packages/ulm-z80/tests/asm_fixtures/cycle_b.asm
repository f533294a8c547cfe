        NOP
        INCLUDE "cycle_a.asm"
