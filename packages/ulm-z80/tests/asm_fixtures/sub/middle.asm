middle: DB 1,2
        INCLUDE "../leaf.asm"
