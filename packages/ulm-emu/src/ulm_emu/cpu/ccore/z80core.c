/* ulm-emu's optional C core: the same Z80 as the Python core, family by family.
 *
 * Each function below is the C twin of the Python family of the same name in
 * ulm_emu/cpu/families/ (same parameters, same T-states, same flags, MEMPTR, Q and R
 * bookkeeping).  Which opcode calls which family with which parameters is not written
 * here: z80dispatch.h is generated from the instruction table (ulm_emu/cpu/isa.py) when
 * the core is built, together with the flag tables.  The tests run both cores on the
 * same vectors and programs and compare every register, byte and T-state.
 *
 * Instructions that talk to ports (IN, OUT, INI ... OTDR) are not done here: the run
 * loop stops before them and the Python core executes them, so port callbacks -- and
 * their exceptions -- stay in Python.
 */
#include <stdint.h>

typedef struct {
    uint8_t regs[8]; /* B C D E H L F A: the opcode register field; 6 (HL in opcodes) is F */
    uint8_t alt[8];
    uint16_t xy[2]; /* IX, IY */
    uint16_t sp, pc, memptr;
    uint8_t i, r_hi, im, iff1, iff2, halted;
    int64_t tstates, instructions, r_adj, q_at, ei_at, ldair_at;
    uint8_t *mem;
} Z80;

enum { RB, RC, RD, RE, RH, RL, RF, RA };
enum { SF = 0x80, ZF = 0x40, YF = 0x20, HF = 0x10, XF = 0x08, PF = 0x04, NF = 0x02, CF = 0x01 };
#define XYF (XF | YF)
#define HL_MEM 6

/* The flag tables, the I/O opcode tables and the dispatch switches. */
#include "z80dispatch.h"

static int exec_main(Z80 *z, uint8_t op);
static int exec_cb(Z80 *z, uint8_t op);
static int exec_ed(Z80 *z, uint8_t op);
static int exec_dd(Z80 *z, uint8_t op);
static int exec_fd(Z80 *z, uint8_t op);
static int exec_ddcb(Z80 *z, uint8_t op, uint16_t addr);

#define FLAGS_WRITTEN(z) ((z)->q_at = (z)->instructions)
#define HL(z) ((uint16_t)(((z)->regs[RH] << 8) | (z)->regs[RL]))
#define PAIR(z, p) ((uint16_t)(((z)->regs[2 * (p)] << 8) | (z)->regs[2 * (p) + 1]))

static inline uint8_t fetch8(Z80 *z) { return z->mem[z->pc++]; }

static inline uint16_t fetch16(Z80 *z) {
    uint16_t low = z->mem[z->pc++];
    return (uint16_t)(low | (z->mem[z->pc++] << 8));
}

static inline uint16_t read16(Z80 *z, uint16_t addr) {
    return (uint16_t)(z->mem[addr] | (z->mem[(uint16_t)(addr + 1)] << 8));
}

static inline uint16_t index_address(Z80 *z, int k) {
    return (uint16_t)(z->xy[k] + (int8_t)fetch8(z));
}

static inline void push16(Z80 *z, uint16_t value) {
    z->mem[--z->sp] = (uint8_t)(value >> 8);
    z->mem[--z->sp] = (uint8_t)value;
}

static inline uint16_t pop16(Z80 *z) {
    uint16_t value = read16(z, z->sp);
    z->sp += 2;
    return value;
}

static inline uint16_t pair_value(Z80 *z, int pair) { return pair == 3 ? z->sp : PAIR(z, pair); }

static inline int condition(Z80 *z, int cc) {
    static const uint8_t masks[4] = {ZF, CF, PF, SF};
    uint8_t mask = masks[cc >> 1];
    return (z->regs[RF] & mask) == ((cc & 1) ? mask : 0);
}

/* A register operand after DD/FD: H and L are the halves of IX/IY. */
static inline uint8_t get_half(Z80 *z, int k, int r) {
    if (r == RH) return (uint8_t)(z->xy[k] >> 8);
    if (r == RL) return (uint8_t)z->xy[k];
    return z->regs[r];
}

static inline void put_half(Z80 *z, int k, int r, uint8_t v) {
    if (r == RH) z->xy[k] = (uint16_t)((v << 8) | (z->xy[k] & 0xFF));
    else if (r == RL) z->xy[k] = (uint16_t)((z->xy[k] & 0xFF00) | v);
    else z->regs[r] = v;
}

/* ==== load: loads, exchanges, PUSH/POP, I and R ================================== */
static inline int ld_r_r(Z80 *z, int dst, int src) { z->regs[dst] = z->regs[src]; return 4; }
static inline int ld_r_n(Z80 *z, int r) { z->regs[r] = fetch8(z); return 7; }
static inline int ld_r_hl_mem(Z80 *z, int dst) { z->regs[dst] = z->mem[HL(z)]; return 7; }
static inline int ld_hl_mem_r(Z80 *z, int src) { z->mem[HL(z)] = z->regs[src]; return 7; }
static inline int ld_hl_mem_n(Z80 *z) { z->mem[HL(z)] = fetch8(z); return 10; }

static inline int ld_indirect_a(Z80 *z, int pair) {
    uint8_t a = z->regs[RA], low = z->regs[2 * pair + 1];
    z->mem[PAIR(z, pair)] = a;
    z->memptr = (uint16_t)((a << 8) | (uint8_t)(low + 1));
    return 7;
}

static inline int ld_a_indirect(Z80 *z, int pair) {
    uint16_t addr = PAIR(z, pair);
    z->regs[RA] = z->mem[addr];
    z->memptr = (uint16_t)(addr + 1);
    return 7;
}

static inline int ld_nn_a(Z80 *z) {
    uint16_t addr = fetch16(z);
    uint8_t a = z->regs[RA];
    z->mem[addr] = a;
    z->memptr = (uint16_t)((a << 8) | (uint8_t)(addr + 1));
    return 13;
}

static inline int ld_a_nn(Z80 *z) {
    uint16_t addr = fetch16(z);
    z->regs[RA] = z->mem[addr];
    z->memptr = (uint16_t)(addr + 1);
    return 13;
}

static inline int ld_rr_nn(Z80 *z, int pair) {
    uint16_t v = fetch16(z);
    if (pair == 3) z->sp = v;
    else { z->regs[2 * pair] = (uint8_t)(v >> 8); z->regs[2 * pair + 1] = (uint8_t)v; }
    return 10;
}

static inline int ld_nn_hl(Z80 *z) {
    uint16_t addr = fetch16(z);
    z->mem[addr] = z->regs[RL];
    addr++;
    z->mem[addr] = z->regs[RH];
    z->memptr = addr;
    return 16;
}

static inline int ld_hl_nn(Z80 *z) {
    uint16_t addr = fetch16(z);
    z->regs[RL] = z->mem[addr];
    addr++;
    z->regs[RH] = z->mem[addr];
    z->memptr = addr;
    return 16;
}

static inline int ld_nn_rr(Z80 *z, int pair) {
    uint16_t addr = fetch16(z), v = pair_value(z, pair);
    z->mem[addr] = (uint8_t)v;
    addr++;
    z->mem[addr] = (uint8_t)(v >> 8);
    z->memptr = addr;
    return 20;
}

static inline int ld_rr_nn_mem(Z80 *z, int pair) {
    uint16_t addr = fetch16(z);
    uint8_t low = z->mem[addr];
    addr++;
    uint8_t high = z->mem[addr];
    z->memptr = addr;
    if (pair == 3) z->sp = (uint16_t)((high << 8) | low);
    else { z->regs[2 * pair] = high; z->regs[2 * pair + 1] = low; }
    return 20;
}

static inline int ld_sp_hl(Z80 *z) { z->sp = HL(z); return 6; }

static inline int push_rr(Z80 *z, int pair) {
    int hi = pair == 3 ? RA : 2 * pair, lo = pair == 3 ? RF : 2 * pair + 1;
    z->mem[--z->sp] = z->regs[hi];
    z->mem[--z->sp] = z->regs[lo];
    return 11;
}

static inline int pop_rr(Z80 *z, int pair) {
    int hi = pair == 3 ? RA : 2 * pair, lo = pair == 3 ? RF : 2 * pair + 1;
    z->regs[lo] = z->mem[z->sp++];
    z->regs[hi] = z->mem[z->sp++];
    return 10;
}

static inline void swap8(uint8_t *x, uint8_t *y) { uint8_t t = *x; *x = *y; *y = t; }

static inline int ex_af_af(Z80 *z) {
    swap8(&z->regs[RF], &z->alt[RF]);
    swap8(&z->regs[RA], &z->alt[RA]);
    return 4;
}

static inline int exx(Z80 *z) {
    for (int r = 0; r < 6; r++) swap8(&z->regs[r], &z->alt[r]);
    return 4;
}

static inline int ex_de_hl(Z80 *z) {
    swap8(&z->regs[RD], &z->regs[RH]);
    swap8(&z->regs[RE], &z->regs[RL]);
    return 4;
}

static inline int ex_sp_hl(Z80 *z) {
    uint16_t sp = z->sp, sp1 = (uint16_t)(sp + 1);
    uint8_t low = z->mem[sp], high = z->mem[sp1];
    z->mem[sp] = z->regs[RL];
    z->mem[sp1] = z->regs[RH];
    z->regs[RL] = low;
    z->regs[RH] = high;
    z->memptr = (uint16_t)((high << 8) | low);
    return 19;
}

static inline uint8_t r_register(Z80 *z) {
    return (uint8_t)(z->r_hi | ((z->instructions + z->r_adj) & 0x7F));
}

static inline int ld_i_a(Z80 *z) { z->i = z->regs[RA]; return 9; }

static inline int ld_r_a(Z80 *z) {
    uint8_t v = z->regs[RA];
    z->r_hi = v & 0x80;
    z->r_adj = (v & 0x7F) - z->instructions;
    return 9;
}

static inline int ld_a_ir(Z80 *z, uint8_t v) {
    z->regs[RA] = v;
    z->regs[RF] = (uint8_t)((z->regs[RF] & CF) | SZXY[v] | (z->iff2 ? PF : 0));
    z->q_at = z->ldair_at = z->instructions;
    return 9;
}

static inline int ld_a_i(Z80 *z) { return ld_a_ir(z, z->i); }
static inline int ld_a_r(Z80 *z) { return ld_a_ir(z, r_register(z)); }

static inline int ld_xy_nn(Z80 *z, int k) { z->xy[k] = fetch16(z); return 14; }

static inline int ld_nn_xy(Z80 *z, int k) {
    uint16_t addr = fetch16(z), x = z->xy[k];
    z->mem[addr] = (uint8_t)x;
    addr++;
    z->mem[addr] = (uint8_t)(x >> 8);
    z->memptr = addr;
    return 20;
}

static inline int ld_xy_nn_mem(Z80 *z, int k) {
    uint16_t addr = fetch16(z);
    uint8_t low = z->mem[addr];
    addr++;
    z->xy[k] = (uint16_t)((z->mem[addr] << 8) | low);
    z->memptr = addr;
    return 20;
}

static inline int ld_xy_half_n(Z80 *z, int k, int r) { put_half(z, k, r, fetch8(z)); return 11; }

static inline int ld_xy_halves(Z80 *z, int k, int dst, int src) {
    put_half(z, k, dst, get_half(z, k, src));
    return 8;
}

static inline int ld_xy_mem_n(Z80 *z, int k) {
    uint16_t addr = z->memptr = index_address(z, k);
    z->mem[addr] = fetch8(z);
    return 19;
}

static inline int ld_r_xy_mem(Z80 *z, int k, int dst) {
    uint16_t addr = z->memptr = index_address(z, k);
    z->regs[dst] = z->mem[addr];
    return 19;
}

static inline int ld_xy_mem_r(Z80 *z, int k, int src) {
    uint16_t addr = z->memptr = index_address(z, k);
    z->mem[addr] = z->regs[src];
    return 19;
}

static inline int pop_xy(Z80 *z, int k) { z->xy[k] = pop16(z); return 14; }
static inline int push_xy(Z80 *z, int k) { push16(z, z->xy[k]); return 15; }

static inline int ex_sp_xy(Z80 *z, int k) {
    uint16_t sp = z->sp, x = z->xy[k], value = read16(z, sp);
    z->mem[sp] = (uint8_t)x;
    z->mem[(uint16_t)(sp + 1)] = (uint8_t)(x >> 8);
    z->xy[k] = z->memptr = value;
    return 23;
}

static inline int ld_sp_xy(Z80 *z, int k) { z->sp = z->xy[k]; return 10; }

/* ==== arithmetic: the ALU, INC/DEC, 16-bit arithmetic, DAA CPL NEG SCF CCF ========== */
static inline void alu8(Z80 *z, int operation, uint8_t v) {
    uint8_t a = z->regs[RA], *f = &z->regs[RF];
    int res;
    switch (operation) {
    case 0: /* ADD */
    case 1: /* ADC */
        res = a + v + (operation == 1 ? (*f & CF) : 0);
        z->regs[RA] = (uint8_t)res;
        *f = (uint8_t)(SZXY[res & 0xFF] | (res >> 8) | ((a ^ v ^ res) & HF)
                       | ((((a ^ res) & (v ^ res)) >> 5) & PF));
        break;
    case 2: /* SUB */
    case 3: /* SBC */
    case 7: /* CP: as SUB, A kept, X/Y from the operand */
        res = a - v - (operation == 3 ? (*f & CF) : 0);
        *f = (uint8_t)(((res >> 8) & CF) | NF | ((a ^ v ^ res) & HF)
                       | ((((a ^ v) & (a ^ res)) >> 5) & PF));
        if (operation == 7) *f |= (uint8_t)((SZXY[res & 0xFF] & (SF | ZF)) | (v & XYF));
        else { *f |= SZXY[res & 0xFF]; z->regs[RA] = (uint8_t)res; }
        break;
    case 4: z->regs[RA] = a & v; *f = SZXYP[a & v] | HF; break; /* AND */
    case 5: z->regs[RA] = a ^ v; *f = SZXYP[a ^ v]; break;      /* XOR */
    default: z->regs[RA] = a | v; *f = SZXYP[a | v]; break;     /* OR */
    }
    FLAGS_WRITTEN(z);
}

static inline int alu_r(Z80 *z, int alu, int src) { alu8(z, alu, z->regs[src]); return 4; }
static inline int alu_hl_mem(Z80 *z, int alu) { alu8(z, alu, z->mem[HL(z)]); return 7; }
static inline int alu_n(Z80 *z, int alu) { alu8(z, alu, fetch8(z)); return 7; }
static inline int alu_xy_half(Z80 *z, int k, int alu, int src) { alu8(z, alu, get_half(z, k, src)); return 8; }

static inline int alu_xy_mem(Z80 *z, int k, int alu) {
    uint16_t addr = z->memptr = index_address(z, k);
    alu8(z, alu, z->mem[addr]);
    return 19;
}

static inline int neg(Z80 *z) {
    uint8_t v = z->regs[RA];
    z->regs[RA] = 0;
    alu8(z, 2, v);
    return 8;
}

static inline uint8_t inc_dec8(Z80 *z, uint8_t v, int delta) {
    v = (uint8_t)(v + delta);
    z->regs[RF] = (uint8_t)((z->regs[RF] & CF) | (delta > 0 ? INC_FLAGS[v] : DEC_FLAGS[v]));
    FLAGS_WRITTEN(z);
    return v;
}

static inline int inc_r(Z80 *z, int r) { z->regs[r] = inc_dec8(z, z->regs[r], 1); return 4; }
static inline int dec_r(Z80 *z, int r) { z->regs[r] = inc_dec8(z, z->regs[r], -1); return 4; }

static inline int inc_dec_hl_mem(Z80 *z, int delta) {
    uint16_t addr = HL(z);
    z->mem[addr] = inc_dec8(z, z->mem[addr], delta);
    return 11;
}

static inline int inc_dec_xy_half(Z80 *z, int k, int r, int delta) {
    put_half(z, k, r, inc_dec8(z, get_half(z, k, r), delta));
    return 8;
}

static inline int inc_dec_xy_mem(Z80 *z, int k, int delta) {
    uint16_t addr = z->memptr = index_address(z, k);
    z->mem[addr] = inc_dec8(z, z->mem[addr], delta);
    return 23;
}

static inline int inc_dec_rr(Z80 *z, int pair, int delta) {
    if (pair == 3) { z->sp = (uint16_t)(z->sp + delta); return 6; }
    uint16_t v = (uint16_t)(PAIR(z, pair) + delta);
    z->regs[2 * pair] = (uint8_t)(v >> 8);
    z->regs[2 * pair + 1] = (uint8_t)v;
    return 6;
}

static inline int inc_dec_xy(Z80 *z, int k, int delta) { z->xy[k] = (uint16_t)(z->xy[k] + delta); return 10; }

/* ADD HL/IX/IY,rr: H from bit 11, C from bit 15, X/Y from the high result byte. */
static inline uint16_t add16(Z80 *z, uint16_t x, uint16_t v) {
    uint32_t res = (uint32_t)x + v;
    z->memptr = (uint16_t)(x + 1);
    z->regs[RF] = (uint8_t)((z->regs[RF] & (SF | ZF | PF)) | ((res >> 8) & XYF)
                            | (((x ^ v ^ res) >> 8) & HF) | (res >> 16));
    FLAGS_WRITTEN(z);
    return (uint16_t)res;
}

static inline void set_hl(Z80 *z, uint16_t v) { z->regs[RH] = (uint8_t)(v >> 8); z->regs[RL] = (uint8_t)v; }

static inline int add_hl_rr(Z80 *z, int pair) { set_hl(z, add16(z, HL(z), pair_value(z, pair))); return 11; }

static inline int add_xy_rr(Z80 *z, int k, int pair) {
    uint16_t x = z->xy[k];
    z->xy[k] = add16(z, x, pair == 2 ? x : pair_value(z, pair));
    return 15;
}

static inline int adc_hl_rr(Z80 *z, int pair) {
    int32_t hl = HL(z), v = pair_value(z, pair);
    int32_t res = hl + v + (z->regs[RF] & CF);
    uint16_t res16 = (uint16_t)res;
    z->memptr = (uint16_t)(hl + 1);
    z->regs[RF] = (uint8_t)(((res16 >> 8) & (SF | XYF)) | (res16 ? 0 : ZF) | (res >> 16)
                            | (((hl ^ v ^ res) >> 8) & HF) | ((((hl ^ res) & (v ^ res)) >> 13) & PF));
    FLAGS_WRITTEN(z);
    set_hl(z, res16);
    return 15;
}

static inline int sbc_hl_rr(Z80 *z, int pair) {
    int32_t hl = HL(z), v = pair_value(z, pair);
    int32_t res = hl - v - (z->regs[RF] & CF);
    uint16_t res16 = (uint16_t)res;
    z->memptr = (uint16_t)(hl + 1);
    z->regs[RF] = (uint8_t)(((res16 >> 8) & (SF | XYF)) | (res16 ? 0 : ZF) | ((res >> 16) & CF) | NF
                            | (((hl ^ v ^ res) >> 8) & HF) | ((((hl ^ v) & (hl ^ res)) >> 13) & PF));
    FLAGS_WRITTEN(z);
    set_hl(z, res16);
    return 15;
}

static inline int daa(Z80 *z) {
    uint8_t a = z->regs[RA], f = z->regs[RF], low = a & 0x0F, correction = 0, carry = 0, half, res;
    if ((f & HF) || low > 9) correction = 0x06;
    if ((f & CF) || a > 0x99) { correction |= 0x60; carry = CF; }
    if (f & NF) { res = (uint8_t)(a - correction); half = ((f & HF) && low < 6) ? HF : 0; }
    else { res = (uint8_t)(a + correction); half = low > 9 ? HF : 0; }
    z->regs[RA] = res;
    z->regs[RF] = (uint8_t)(SZXYP[res] | carry | half | (f & NF));
    FLAGS_WRITTEN(z);
    return 4;
}

static inline int cpl(Z80 *z) {
    uint8_t a = z->regs[RA] ^ 0xFF;
    z->regs[RA] = a;
    z->regs[RF] = (uint8_t)((z->regs[RF] & (SF | ZF | PF | CF)) | (a & XYF) | HF | NF);
    FLAGS_WRITTEN(z);
    return 4;
}

/* SCF/CCF: X/Y = ((Q xor F) or A), Q = F if the previous instruction wrote the flags. */
static inline uint8_t scf_ccf_xy(Z80 *z) {
    return (uint8_t)((z->q_at == z->instructions - 1 ? z->regs[RA] : z->regs[RA] | z->regs[RF]) & XYF);
}

static inline int scf(Z80 *z) {
    uint8_t f = z->regs[RF];
    z->regs[RF] = (uint8_t)((f & (SF | ZF | PF)) | scf_ccf_xy(z) | CF);
    FLAGS_WRITTEN(z);
    return 4;
}

static inline int ccf(Z80 *z) {
    uint8_t f = z->regs[RF];
    z->regs[RF] = (uint8_t)((f & (SF | ZF | PF)) | scf_ccf_xy(z) | ((f & CF) << 4) | ((f & CF) ^ CF));
    FLAGS_WRITTEN(z);
    return 4;
}

/* ==== rotate: rotates, shifts, BIT/RES/SET, RLD/RRD ================================ */
static inline int rlca(Z80 *z) {
    uint8_t a = z->regs[RA];
    a = (uint8_t)((a << 1) | (a >> 7));
    z->regs[RA] = a;
    z->regs[RF] = (uint8_t)((z->regs[RF] & (SF | ZF | PF)) | (a & (XYF | CF)));
    FLAGS_WRITTEN(z);
    return 4;
}

static inline int rrca(Z80 *z) {
    uint8_t a = z->regs[RA], carry = a & 1;
    a = (uint8_t)((a >> 1) | (carry << 7));
    z->regs[RA] = a;
    z->regs[RF] = (uint8_t)((z->regs[RF] & (SF | ZF | PF)) | (a & XYF) | carry);
    FLAGS_WRITTEN(z);
    return 4;
}

static inline int rla(Z80 *z) {
    uint8_t a = z->regs[RA], f = z->regs[RF], res = (uint8_t)((a << 1) | (f & CF));
    z->regs[RA] = res;
    z->regs[RF] = (uint8_t)((f & (SF | ZF | PF)) | (res & XYF) | (a >> 7));
    FLAGS_WRITTEN(z);
    return 4;
}

static inline int rra(Z80 *z) {
    uint8_t a = z->regs[RA], f = z->regs[RF], res = (uint8_t)((a >> 1) | ((f & CF) << 7));
    z->regs[RA] = res;
    z->regs[RF] = (uint8_t)((f & (SF | ZF | PF)) | (res & XYF) | (a & 1));
    FLAGS_WRITTEN(z);
    return 4;
}

/* RLC RRC RL RR SLA SRA SLL SRL: the result; F = S Z X/Y P=parity, H = N = 0, C = the bit out. */
static inline uint8_t rotate(Z80 *z, int op, uint8_t v) {
    uint8_t res, out;
    switch (op) {
    case 0: res = (uint8_t)((v << 1) | (v >> 7)); out = v >> 7; break;
    case 1: res = (uint8_t)((v >> 1) | (v << 7)); out = v & 1; break;
    case 2: res = (uint8_t)((v << 1) | (z->regs[RF] & CF)); out = v >> 7; break;
    case 3: res = (uint8_t)((v >> 1) | ((z->regs[RF] & CF) << 7)); out = v & 1; break;
    case 4: res = (uint8_t)(v << 1); out = v >> 7; break;
    case 5: res = (uint8_t)((v >> 1) | (v & 0x80)); out = v & 1; break;
    case 6: res = (uint8_t)((v << 1) | 1); out = v >> 7; break; /* SLL, undocumented */
    default: res = v >> 1; out = v & 1; break;
    }
    z->regs[RF] = SZXYP[res] | out;
    FLAGS_WRITTEN(z);
    return res;
}

static inline int rot_r(Z80 *z, int op, int r) { z->regs[r] = rotate(z, op, z->regs[r]); return 8; }

static inline int rot_hl_mem(Z80 *z, int op) {
    uint16_t addr = HL(z);
    z->mem[addr] = rotate(z, op, z->mem[addr]);
    return 15;
}

static inline int rot_xy_mem(Z80 *z, uint16_t addr, int op, int r) {
    uint8_t v = rotate(z, op, z->mem[addr]);
    z->mem[addr] = v;
    if (r != HL_MEM) z->regs[r] = v;
    return 23;
}

static inline uint8_t bit_flags(Z80 *z, int bit, uint8_t value, uint8_t xy_source) {
    uint8_t tested = value & (1 << bit);
    return (uint8_t)((z->regs[RF] & CF) | HF | (xy_source & XYF) | (tested & SF) | (tested ? 0 : ZF | PF));
}

static inline int bit_r(Z80 *z, int bit, int r) {
    z->regs[RF] = bit_flags(z, bit, z->regs[r], z->regs[r]);
    FLAGS_WRITTEN(z);
    return 8;
}

static inline int bit_hl_mem(Z80 *z, int bit) {
    z->regs[RF] = bit_flags(z, bit, z->mem[HL(z)], (uint8_t)(z->memptr >> 8));
    FLAGS_WRITTEN(z);
    return 12;
}

static inline int bit_xy_mem(Z80 *z, uint16_t addr, int bit) {
    z->regs[RF] = bit_flags(z, bit, z->mem[addr], (uint8_t)(addr >> 8));
    FLAGS_WRITTEN(z);
    return 20;
}

static inline uint8_t res_set(uint8_t v, int bit, int setting) {
    return setting ? (uint8_t)(v | (1 << bit)) : (uint8_t)(v & ~(1 << bit));
}

static inline int res_set_r(Z80 *z, int bit, int r, int setting) { z->regs[r] = res_set(z->regs[r], bit, setting); return 8; }

static inline int res_set_hl_mem(Z80 *z, int bit, int setting) {
    uint16_t addr = HL(z);
    z->mem[addr] = res_set(z->mem[addr], bit, setting);
    return 15;
}

static inline int res_set_xy_mem(Z80 *z, uint16_t addr, int bit, int r, int setting) {
    uint8_t v = res_set(z->mem[addr], bit, setting);
    z->mem[addr] = v;
    if (r != HL_MEM) z->regs[r] = v;
    return 23;
}

static inline int rrd_rld(Z80 *z, int left) {
    uint16_t addr = HL(z);
    uint8_t m = z->mem[addr], a = z->regs[RA];
    if (left) { z->mem[addr] = (uint8_t)((m << 4) | (a & 0x0F)); a = (uint8_t)((a & 0xF0) | (m >> 4)); }
    else { z->mem[addr] = (uint8_t)((a << 4) | (m >> 4)); a = (uint8_t)((a & 0xF0) | (m & 0x0F)); }
    z->regs[RA] = a;
    z->regs[RF] = (uint8_t)((z->regs[RF] & CF) | SZXYP[a]);
    z->memptr = (uint16_t)(addr + 1);
    FLAGS_WRITTEN(z);
    return 18;
}

static inline int rrd(Z80 *z) { return rrd_rld(z, 0); }
static inline int rld(Z80 *z) { return rrd_rld(z, 1); }

/* ==== jump: JP JR DJNZ CALL RET RETN RST ========================================== */
static inline int jp(Z80 *z) { z->pc = z->memptr = fetch16(z); return 10; }

static inline int jp_cc(Z80 *z, int cc) {
    uint16_t target = fetch16(z);
    z->memptr = target;
    if (condition(z, cc)) z->pc = target;
    return 10;
}

static inline int jp_hl(Z80 *z) { z->pc = HL(z); return 4; }
static inline int jp_xy(Z80 *z, int k) { z->pc = z->xy[k]; return 8; }

static inline void jump_relative(Z80 *z) {
    int8_t e = (int8_t)fetch8(z);
    z->pc = z->memptr = (uint16_t)(z->pc + e);
}

static inline int jr(Z80 *z) { jump_relative(z); return 12; }

static inline int jr_cc(Z80 *z, int cc) {
    if (condition(z, cc)) { jump_relative(z); return 12; }
    z->pc++;
    return 7;
}

static inline int djnz(Z80 *z) {
    if (--z->regs[RB]) { jump_relative(z); return 13; }
    z->pc++;
    return 8;
}

static inline int call(Z80 *z) {
    uint16_t target = fetch16(z);
    push16(z, z->pc);
    z->pc = z->memptr = target;
    return 17;
}

static inline int call_cc(Z80 *z, int cc) {
    uint16_t target = fetch16(z);
    z->memptr = target;
    if (!condition(z, cc)) return 10;
    push16(z, z->pc);
    z->pc = target;
    return 17;
}

static inline int ret(Z80 *z) { z->pc = z->memptr = pop16(z); return 10; }

static inline int ret_cc(Z80 *z, int cc) {
    if (!condition(z, cc)) return 5;
    z->pc = z->memptr = pop16(z);
    return 11;
}

static inline int retn(Z80 *z) {
    z->pc = z->memptr = pop16(z);
    z->iff1 = z->iff2;
    return 14;
}

static inline int rst(Z80 *z, int target) {
    push16(z, z->pc);
    z->pc = z->memptr = (uint16_t)target;
    return 11;
}

/* ==== block: LDI/LDIR ..., CPI/CPIR ... (the I/O ones run in Python) =============== */
static inline void set_pair(Z80 *z, int pair, uint16_t v) {
    z->regs[2 * pair] = (uint8_t)(v >> 8);
    z->regs[2 * pair + 1] = (uint8_t)v;
}

/* A repeating step: rewind PC over the instruction; MEMPTR = PC+1, X/Y from PC bits 13/11. */
static inline int block_repeat(Z80 *z, uint8_t f) {
    z->pc -= 2;
    z->memptr = (uint16_t)(z->pc + 1);
    z->regs[RF] = (uint8_t)((f & ~XYF) | ((z->pc >> 8) & XYF));
    return 21;
}

static inline int block_ld(Z80 *z, int step, int repeat) {
    uint16_t hl = HL(z), de = PAIR(z, 1), bc = (uint16_t)(PAIR(z, 0) - 1);
    uint8_t v = z->mem[hl];
    z->mem[de] = v;
    set_pair(z, 2, (uint16_t)(hl + step));
    set_pair(z, 1, (uint16_t)(de + step));
    set_pair(z, 0, bc);
    uint8_t n = (uint8_t)(z->regs[RA] + v);
    uint8_t f = (uint8_t)((z->regs[RF] & (SF | ZF | CF)) | (n & XF) | ((n << 4) & YF) | (bc ? PF : 0));
    FLAGS_WRITTEN(z);
    if (repeat && bc) return block_repeat(z, f);
    z->regs[RF] = f;
    return 16;
}

static inline int block_cp(Z80 *z, int step, int repeat) {
    uint16_t hl = HL(z), bc = (uint16_t)(PAIR(z, 0) - 1);
    uint8_t v = z->mem[hl], a = z->regs[RA], res = (uint8_t)(a - v);
    set_pair(z, 2, (uint16_t)(hl + step));
    set_pair(z, 0, bc);
    uint8_t half = (a ^ v ^ res) & HF;
    uint8_t n = (uint8_t)(res - (half >> 4));
    uint8_t f = (uint8_t)((z->regs[RF] & CF) | (SZXY[res] & (SF | ZF)) | half | NF
                          | (n & XF) | ((n << 4) & YF) | (bc ? PF : 0));
    FLAGS_WRITTEN(z);
    if (repeat && bc && res) return block_repeat(z, f);
    z->memptr = (uint16_t)(z->memptr + step);
    z->regs[RF] = f;
    return 16;
}

/* ==== control: NOP HALT DI EI IM, the prefixes ====================================== */
static inline int nop(Z80 *z) { (void)z; return 4; }
static inline int ed_nop(Z80 *z) { (void)z; return 8; }
static inline int halt(Z80 *z, int tstates) { z->halted = 1; return tstates; }
static inline int di(Z80 *z) { z->iff1 = z->iff2 = 0; return 4; }
static inline int ei(Z80 *z) { z->iff1 = z->iff2 = 1; z->ei_at = z->instructions; return 4; }
static inline int im(Z80 *z, int mode) { z->im = (uint8_t)mode; return 8; }

static inline int prefix_cb(Z80 *z) { z->r_adj++; return exec_cb(z, fetch8(z)); }
static inline int prefix_ed(Z80 *z) { z->r_adj++; return exec_ed(z, fetch8(z)); }

/* DD/FD: the prefix leaves Q alone (SingleStepTests v1). */
static inline int prefix_index(Z80 *z, int k) {
    z->r_adj++;
    uint8_t op = fetch8(z);
    return k ? exec_fd(z, op) : exec_dd(z, op);
}

/* DD CB d op: d and op are memory reads, not M1 cycles, so R counts only DD and CB. */
static inline int prefix_index_cb(Z80 *z, int k) {
    uint16_t addr = (uint16_t)(z->xy[k] + (int8_t)z->mem[z->pc]);
    uint8_t op = z->mem[(uint16_t)(z->pc + 1)];
    z->pc += 2;
    z->memptr = addr;
    return exec_ddcb(z, op, addr);
}

/* DD/FD before DD, ED or FD: a 4-T-state no-op; the next prefix is fetched as the next
 * instruction, no interrupt in between, Q passes through. */
static inline int stray_prefix(Z80 *z, int k) {
    (void)k;
    int64_t n = z->instructions;
    z->pc--;
    z->r_adj--;
    z->ei_at = n;
    if (z->q_at == n - 1) z->q_at = n;
    return 4;
}

/* An I/O instruction: never reached, the run loop hands these to Python first. */
static inline int io_in_python(Z80 *z) { (void)z; return 0; }

#define Z80_DISPATCH
#include "z80dispatch.h"

/* ==== the run loop ================================================================== */
/* The state vector shared with Python (ulm_emu/cpu/ccore/__init__.py: STATE_FIELDS). */
enum {
    S_REGS = 0, S_ALT = 8, S_IX = 16, S_IY, S_SP, S_PC, S_MEMPTR, S_I, S_R_HI, S_IM, S_IFF1,
    S_IFF2, S_HALTED, S_TSTATES, S_INSTRUCTIONS, S_R_ADJ, S_Q_AT, S_EI_AT, S_LDAIR_AT, S_SIZE
};
enum { RUN_UNTIL = 0, RUN_STOP = 1, RUN_HALT = 2, RUN_IO = 3 };

static void load_state(Z80 *z, const int64_t *s, uint8_t *mem) {
    for (int r = 0; r < 8; r++) { z->regs[r] = (uint8_t)s[S_REGS + r]; z->alt[r] = (uint8_t)s[S_ALT + r]; }
    z->xy[0] = (uint16_t)s[S_IX];
    z->xy[1] = (uint16_t)s[S_IY];
    z->sp = (uint16_t)s[S_SP];
    z->pc = (uint16_t)s[S_PC];
    z->memptr = (uint16_t)s[S_MEMPTR];
    z->i = (uint8_t)s[S_I];
    z->r_hi = (uint8_t)s[S_R_HI];
    z->im = (uint8_t)s[S_IM];
    z->iff1 = (uint8_t)s[S_IFF1];
    z->iff2 = (uint8_t)s[S_IFF2];
    z->halted = (uint8_t)s[S_HALTED];
    z->tstates = s[S_TSTATES];
    z->instructions = s[S_INSTRUCTIONS];
    z->r_adj = s[S_R_ADJ];
    z->q_at = s[S_Q_AT];
    z->ei_at = s[S_EI_AT];
    z->ldair_at = s[S_LDAIR_AT];
    z->mem = mem;
}

static void store_state(const Z80 *z, int64_t *s) {
    for (int r = 0; r < 8; r++) { s[S_REGS + r] = z->regs[r]; s[S_ALT + r] = z->alt[r]; }
    s[S_IX] = z->xy[0];
    s[S_IY] = z->xy[1];
    s[S_SP] = z->sp;
    s[S_PC] = z->pc;
    s[S_MEMPTR] = z->memptr;
    s[S_I] = z->i;
    s[S_R_HI] = z->r_hi;
    s[S_IM] = z->im;
    s[S_IFF1] = z->iff1;
    s[S_IFF2] = z->iff2;
    s[S_HALTED] = z->halted;
    s[S_TSTATES] = z->tstates;
    s[S_INSTRUCTIONS] = z->instructions;
    s[S_R_ADJ] = z->r_adj;
    s[S_Q_AT] = z->q_at;
    s[S_EI_AT] = z->ei_at;
    s[S_LDAIR_AT] = z->ldair_at;
}

/* Whether the instruction at pc talks to a port (then Python executes it). */
static inline int needs_python(const uint8_t *mem, uint16_t pc) {
    switch (IO_FIRST[mem[pc]]) {
    case 0: return 0;
    case 1: return 1;
    case 2: return IO_ED[mem[(uint16_t)(pc + 1)]];
    default: return IO_INDEX[mem[(uint16_t)(pc + 1)]];
    }
}

int ulm_z80_state_size(void) { return S_SIZE; }

/* Run until tstates >= until, a HALT, a PC in stops (if not NULL; not checked before the
 * first instruction unless check_first), or an I/O instruction (not executed). */
int ulm_z80_run(int64_t *state, uint8_t *mem, int64_t until, const uint8_t *stops, int check_first) {
    Z80 z;
    load_state(&z, state, mem);
    int reason = RUN_UNTIL, check_stop = check_first;
    while (z.tstates < until) {
        uint16_t pc = z.pc;
        if (stops && check_stop && stops[pc]) { reason = RUN_STOP; break; }
        check_stop = 1;
        if (needs_python(mem, pc)) { reason = RUN_IO; break; }
        z.instructions++;
        z.pc = (uint16_t)(pc + 1);
        z.tstates += exec_main(&z, mem[pc]);
        if (z.halted) { reason = RUN_HALT; break; }
    }
    store_state(&z, state);
    return reason;
}
