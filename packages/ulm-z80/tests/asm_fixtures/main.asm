; includes a file in a subdirectory, which includes one back up here
        ORG 100h
start:  LD A,VALUE
        INCLUDE "sub/middle.asm"
        JP start
