; A longer mixed workload: a sieve, a shift-and-add multiply subroutine,
; block copies and searches, BCD counting, indexed table walks and bit
; operations.  It loops forever; the benchmark stops it by T-state budget.
        org  0100h
        ld   sp, 0F000h
main:   call sieve
        call products
        call blocks
        call bcd
        call bits
        ld   hl, (rounds)
        inc  hl
        ld   (rounds), hl
        jr   main
rounds: dw   0

; Sieve of Eratosthenes over 1024 flags at 8000h; count of primes in (primes).
sieve:  ld   hl, 8000h
        ld   de, 8001h
        ld   bc, 1023
        ld   (hl), 1
        ldir
        ld   hl, 2
        ld   ix, 0
nextp:  ld   de, 8000h
        push hl
        add  hl, de
        ld   a, (hl)
        pop  hl
        or   a
        jr   z, notp
        inc  ix
        push hl
        ld   d, h
        ld   e, l
        add  hl, hl
cross:  ld   a, h
        cp   4
        jr   nc, crossed
        push hl
        ld   bc, 8000h
        add  hl, bc
        ld   (hl), 0
        pop  hl
        add  hl, de
        jr   cross
crossed:
        pop  hl
notp:   inc  hl
        ld   a, h
        cp   4
        jr   c, nextp
        ld   (primes), ix
        ret
primes: dw   0

; HL = DE * BC (16x16 -> 16 bit) by shift and add, for a small table of pairs.
products:
        ld   iy, pairs
        ld   b, 8
prod:   push bc
        ld   e, (iy+0)
        ld   d, (iy+1)
        ld   c, (iy+2)
        ld   b, (iy+3)
        call mul16
        ld   (iy+4), l
        ld   (iy+5), h
        ld   de, 6
        add  iy, de
        pop  bc
        djnz prod
        ret
mul16:  ld   hl, 0
        ld   a, 16
mloop:  add  hl, hl
        ex   de, hl
        add  hl, hl
        ex   de, hl
        jr   nc, mskip
        add  hl, bc
mskip:  dec  a
        jr   nz, mloop
        ret
pairs:  dw   1234, 5678, 0,  300, 200, 0,  7, 9, 0,  65535, 3, 0
        dw   255, 255, 0,  4096, 15, 0,  99, 101, 0,  12345, 2, 0

; Copy 512 bytes back and forth, then search for a byte with CPIR.
blocks: ld   hl, 0100h
        ld   de, 9000h
        ld   bc, 512
        ldir
        ld   hl, 91FFh
        ld   de, 0A1FFh
        ld   bc, 512
        lddr
        ld   hl, 0A000h
        ld   bc, 512
        ld   a, 0C9h
        cpir
        ret

; Count to 99 in BCD with DAA, and keep a running rotate checksum.
bcd:    xor  a
        ld   b, 99
        ld   c, 0
bloop:  add  a, 1
        daa
        rlc  c
        xor  c
        ld   c, a
        djnz bloop
        ld   (bcdout), a
        ret
bcdout: db   0

; Bit tests, sets and shifts over a 64-byte buffer addressed with IX.
bits:   ld   ix, 8000h
        ld   b, 64
bitl:   ld   a, (ix+0)
        bit  0, a
        jr   z, even
        set  7, (ix+1)
        sra  (ix+1)
        jr   bnext
even:   res  0, (ix+1)
        srl  (ix+1)
bnext:  inc  ix
        djnz bitl
        ret
        end
