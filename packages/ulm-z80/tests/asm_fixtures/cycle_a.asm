        NOP
        INCLUDE "cycle_b.asm"
