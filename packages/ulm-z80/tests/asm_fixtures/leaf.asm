VALUE:  EQU 42
leaf:   DW middle
