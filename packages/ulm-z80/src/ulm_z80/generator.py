"""The code generator: a :class:`~ulm_spec.model.Model` becomes one readable Z80 CP/M program.

The program (see the comments it carries) is, in order: equates, startup and the chat loop, the
tokenizer (normalisation and the trigram query encoder), the context encoder, the forward pass (one
routine per layer, kernels from :mod:`ulm_z80.kernels`), argmax and printing, then the data:
charset, biases, the answer trie of a model that lists its answers (:mod:`ulm_z80.trie`) and
weights. Buffers (input vector, activations, accumulators, stack) are not in
the file: they are equates for addresses after the program's end, laid out by :func:`layout_bss`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_spec.model import Model
from ulm_spec.packing import pack_weights
from ulm_spec.text import MAX_QUERY_BYTES
from ulm_z80 import kernels
from ulm_z80.kernels import COLS, HYBRID, LISTS, ROWS, LayerPlan
from ulm_z80.linker import Section
from ulm_z80.source import Source, hex8, hex16
from ulm_z80.trie import TRIE_VARIABLES, emit_argmax_trie, emit_trie_table

ORIGIN = 0x0100
BDOS = 0x0005
COMMAND_TAIL = 0x0080
#: Our own call depth is under 30 bytes (the BDOS switches to its own stack); the rest is
#: room for an interrupt handler of the host system.
STACK_BYTES = 48
#: BDOS function 10 buffer: max, count, then the characters.
LINE_MAX = MAX_QUERY_BYTES


@dataclass(frozen=True)
class BssItem:
    """One run-time buffer (or group of consecutive buffers) after the end of the file."""

    name: str
    labels: tuple[tuple[str, int], ...]
    comment: str
    align: int = 1

    @property
    def size(self) -> int:
        return sum(size for _, size in self.labels)


Masks = Sequence[Sequence[bool]]


def layer_plans(
    model: Model, layer_kernels: Sequence[str], hoist: bool = True, masks: Masks = ()
) -> list[LayerPlan]:
    plans = []
    for index, (layer, kernel) in enumerate(zip(model.layers, layer_kernels, strict=True), start=1):
        mask = tuple(masks[index - 1]) if kernel == HYBRID else ()
        plans.append(
            LayerPlan(
                index=index,
                n_in=layer.n_in,
                n_out=layer.n_out,
                shift=layer.shift,
                relu=layer.relu,
                kernel=kernel,
                input_label="INPUT" if index == 1 else f"ACT_{index - 1}",
                output_label=f"ACT_{index}",
                weight_label=f"W_{index}",
                bias_label=f"B_{index}",
                query_inputs=model.encoder.query_buckets if index == 1 and kernel != ROWS and hoist else 0,
                context_offset=_context_offset(model, kernel, mask) if index == 1 else 0,
                list_mask=mask,
            )
        )
    return plans


def _context_offset(model: Model, kernel: str, mask: Sequence[bool] = ()) -> int:
    """Bytes of layer 1's weight data before the first context column (cols, lists, hybrid)."""
    first = model.encoder.query_buckets
    layer = model.layers[0]
    if kernel == HYBRID:
        return len(kernels.encode_hybrid(layer.weight[:, :first], mask[:first]))
    if kernel == COLS:
        return first * kernels.column_bytes(layer.n_out)
    if kernel == LISTS:
        return kernels.lists_bytes(layer.weight[:, :first])
    return 0


def uses_accumulator_pages(layer_kernels: Sequence[str]) -> bool:
    return any(kernel != ROWS for kernel in layer_kernels)


def bss_items(model: Model, layer_kernels: Sequence[str], hoist: bool = True) -> list[BssItem]:
    """Every run-time buffer the program needs (not yet in memory order)."""
    any_cols = uses_accumulator_pages(layer_kernels)
    items: list[BssItem] = []
    if any_cols:
        items.append(BssItem("acc", (("ACC_LO", 256), ("ACC_HI", 256)),
                             "accumulators: low-byte page, high-byte page", 256))
    else:
        items.append(BssItem("linebuf", (("LINEBUF", LINE_MAX + 2),), "BDOS 10 line buffer"))
        items.append(BssItem("query", (("QUERY", LINE_MAX + 2),), "normalised, padded query"))
    if layer_kernels[0] != ROWS and hoist:
        n1 = model.layers[0].n_out
        items.append(BssItem("qacc", (("QACC_LO", n1), ("QACC_HI", n1)),
                             "layer 1 query-half accumulators"))
    items.append(BssItem("input", (("INPUT", 2 * model.input_size),), "int16 input vector"))
    for index, layer in enumerate(model.layers, start=1):
        items.append(BssItem(f"act_{index}", ((f"ACT_{index}", 2 * layer.n_out),),
                             f"int16 layer {index} outputs"))
    items.append(BssItem("ctxwin", (("CTXWIN", model.encoder.context_length),), "context window"))
    variables = VARIABLES + (TRIE_VARIABLES if model.answers else ())
    items.append(BssItem("vars", variables, "scalar variables"))
    items.append(BssItem("stack", (("STACK", STACK_BYTES),), "the program's stack, SP starts at its end"))
    return items


#: Scalar variables of the program and their sizes.
VARIABLES: tuple[tuple[str, int], ...] = (
    ("QUERY_LEN", 1),
    ("GEN_COUNT", 1),
    ("PK_X", 2),
    ("PK_ROWBYTES", 1),
    ("PK_OUT", 2),
    ("COL_SAVED_SP", 2),
    ("COL_STRIDE", 2),
)


def order_bss(items: Sequence[BssItem], file_end: int) -> list[BssItem]:
    """Memory order of the buffers: the alignment gap before a page-aligned block is filled
    with the largest unaligned buffers that fit, so little memory is lost to alignment."""
    aligned = [item for item in items if item.align > 1]
    loose = [item for item in items if item.align == 1]
    if not aligned:
        return list(items)
    gap = (-file_end) % aligned[0].align
    before: list[BssItem] = []
    for item in sorted(loose, key=lambda i: -i.size):
        if item.size <= gap:
            before.append(item)
            gap -= item.size
    after = [item for item in loose if item not in before]
    return before + aligned + after


def _emit_header(src: Source, model: Model, layer_kernels: Sequence[str]) -> None:
    sizes = " -> ".join(str(n) for n in model.layer_sizes)
    src.comment("ulm: a character-level language model as one CP/M 2.2 program (Z80).")
    src.comment(f"Model: {sizes}; charset {model.charset.decode('ascii')!r} + EOS.")
    src.comment("Kernels per layer: " + ", ".join(layer_kernels) + " (see ulm_z80/kernels.py).")
    if model.answers:
        src.comment(f"Answers: only the {len(model.answers)} the model lists (ANSWER_TRIE, ARGMAX_TRIE).")
    src.comment("Generated by ulm-z80 from a .ulm model; assembles with ulm's assembler, pasmo or z80asm.")
    src.comment("")
    src.comment("Usage:  A>NAME QUESTION TEXT    answers once and returns to CP/M")
    src.comment("        A>NAME                  chat: '> ' prompt, empty line re-prompts, '!' quits")
    src.banner("Equates: CP/M and the model's sizes")
    enc = model.encoder
    src.equ("BDOS", hex16(BDOS), "CP/M BDOS entry")
    src.equ("TAIL", hex16(COMMAND_TAIL), "command tail: length byte, then the characters")
    src.equ("LINE_MAX", LINE_MAX, "longest query line read (= MAX_QUERY_BYTES)")
    src.equ("QUERY_BUCKETS", enc.query_buckets)
    src.equ("CONTEXT_BUCKETS", enc.context_buckets)
    src.equ("CONTEXT_LEN", enc.context_length, "generated characters the context encoder sees")
    src.equ("ACT_SCALE", enc.activation_scale, "added to a bucket per hashed occurrence")
    src.equ("MAX_OUTPUT", enc.max_output, "characters per answer at most")
    src.equ("N_LAYERS", len(model.layers))
    for index, n in enumerate(model.layer_sizes):
        src.equ(f"SIZE_{index}", n, "input vector" if index == 0 else f"outputs of layer {index}")
    src.equ("N_CLASSES", model.n_classes, "charset + EOS")
    src.equ("EOS_INDEX", model.eos_index, "EOS is the last class")


def _emit_main(src: Source, model: Model, hoisted: bool, any_cols: bool) -> None:
    src.banner(
        "START: one-shot mode with a command tail, chat mode without",
        "A command tail (A>GUESS IS IT ALIVE) is answered once, then the program returns to CP/M.",
    )
    src.label("START")
    src.op("LD HL,(BDOS+1)", "the BDOS entry: nothing of ours may reach it")
    src.op("LD DE,MEM_END")
    src.op("OR A")
    src.op("SBC HL,DE")
    src.op("JR NC,MEM_OK")
    src.op("LD DE,NO_MEMORY")
    src.op("LD C,9")
    src.op("CALL BDOS")
    src.op("JP 0")
    src.label("MEM_OK")
    src.op("LD SP,STACK_TOP")
    src.op("LD A,(TAIL)", "tail length")
    src.op("OR A")
    src.op("JR Z,CHAT", "no tail: chat mode")
    src.op("LD B,A")
    src.op("LD HL,TAIL+1")
    src.op("CALL NORMALIZE")
    src.op("CALL ANSWER")
    src.op("JP 0", "warm boot: back to CP/M")
    src.banner(
        "CHAT: prompt '> ', read a line (BDOS 10), answer, repeat",
        "An empty line re-prompts; a line starting with '!' (or Ctrl-C) returns to CP/M.",
        "A line that fills the buffer is cut: the rest of it is read and dropped (DRAIN_LINE).",
    )
    src.label("CHAT")
    src.op("LD DE,PROMPT")
    src.op("LD C,9")
    src.op("CALL BDOS")
    src.op("LD HL,LINEBUF")
    src.op("LD (HL),LINE_MAX")
    src.op("EX DE,HL")
    src.op("LD C,10", "read console buffer")
    src.op("CALL BDOS")
    src.op("LD A,(LINEBUF+1)")
    src.op("CP LINE_MAX")
    src.op("CALL Z,DRAIN_LINE")
    src.op("LD E,0Ah", "BDOS 10 echoes only the CR: finish the line")
    src.op("LD C,2")
    src.op("CALL BDOS")
    src.op("LD A,(LINEBUF+1)")
    src.op("OR A")
    src.op("JR Z,CHAT", "empty line: prompt again")
    src.op("LD A,(LINEBUF+2)")
    src.op("CP '!'")
    src.op("JP Z,0", "'!' quits")
    src.op("CP 3")
    src.op("JP Z,0", "so does Ctrl-C")
    src.op("LD A,(LINEBUF+1)")
    src.op("LD B,A")
    src.op("LD HL,LINEBUF+2")
    src.op("CALL NORMALIZE")
    src.op("CALL ANSWER")
    src.op("JR CHAT")
    src.banner("DRAIN_LINE: read and drop typed characters up to CR or LF (BDOS 1). Uses all.")
    src.label("DRAIN_LINE")
    src.op("LD C,1")
    src.op("CALL BDOS")
    src.op("CP 0Dh")
    src.op("RET Z")
    src.op("CP 0Ah")
    src.op("RET Z")
    src.op("JR DRAIN_LINE")

    listed = bool(model.answers)
    src.banner(
        "ANSWER: generate and print the answer to the query in QUERY, then CR LF",
        *(
            (
                "Per character: encode the context, run the network, take the argmax over the classes",
                "the answer trie allows; stop at EOS or after MAX_OUTPUT characters. Uses all registers.",
            )
            if listed
            else (
                "Per character: encode the context, run the network, take the argmax; stop at EOS",
                "or after MAX_OUTPUT characters. Uses all registers.",
            )
        ),
    )
    src.label("ANSWER")
    src.op("CALL ENCODE_QUERY")
    if hoisted:
        src.op("CALL L1_QUERY", "layer 1's query half, once per query")
    if listed:
        src.op("LD HL,ANSWER_TRIE")
        src.op("LD (TRIE_NODE),HL", "every answer starts at the root of the answer trie")
    src.op("LD HL,CTXWIN")
    src.op("LD B,CONTEXT_LEN")
    src.label("ANS_CLEAR")
    src.op("LD (HL),' '", "context window starts as spaces")
    src.op("INC HL")
    src.op("DJNZ ANS_CLEAR")
    src.op("XOR A")
    src.op("LD (GEN_COUNT),A")
    src.label("ANS_STEP")
    src.op("CALL ENCODE_CONTEXT")
    src.op("CALL FORWARD")
    src.label("PROBE_CHAR", "reached once per character, after the forward pass")
    if listed:
        src.op("CALL ARGMAX_TRIE", "A = class, one the answer list allows")
    else:
        src.op("CALL ARGMAX", "A = class")
    src.label("PROBE_CHOICE", "reached once per character, after the choice")
    src.op("CP EOS_INDEX")
    src.op("JR Z,ANS_END")
    src.op("LD E,A")
    src.op("LD D,0")
    src.op("LD HL,CHARSET")
    src.op("ADD HL,DE")
    src.op("LD A,(HL)", "A = the character")
    src.op("PUSH AF")
    src.op("LD E,A")
    src.op("LD C,2", "console output")
    src.op("CALL BDOS")
    src.op("POP AF")
    src.op("CP 'A'", "fold A-Z to a-z for the context window")
    src.op("JR C,ANS_FOLDED")
    src.op("CP 'Z'+1")
    src.op("JR NC,ANS_FOLDED")
    src.op("ADD A,20h")
    src.label("ANS_FOLDED")
    if model.encoder.context_length > 1:
        src.op("LD HL,CTXWIN+1", "shift the window left by one")
        src.op("LD DE,CTXWIN")
        src.op("LD BC,CONTEXT_LEN-1")
        src.op("LDIR")
    src.op("LD (CTXWIN+CONTEXT_LEN-1),A", "and append the new character")
    src.op("LD HL,GEN_COUNT")
    src.op("INC (HL)")
    src.op("LD A,(HL)")
    src.op("CP MAX_OUTPUT")
    src.op("JR C,ANS_STEP")
    src.label("ANS_END")
    src.op("LD DE,CRLF")
    src.op("LD C,9")
    src.op("CALL BDOS")
    src.op("RET")


def _emit_tokenizer(src: Source, model: Model) -> None:
    enc = model.encoder
    src.banner(
        "NORMALIZE: raw query -> QUERY = ' ' + normalised text + ' ', QUERY_LEN = its length",
        "In: HL = raw bytes, B = count. Cut to LINE_MAX (127) bytes; A-Z -> a-z; control bytes,",
        "7Fh and >= 80h -> space; leading/trailing spaces dropped, runs collapsed to one.",
        "(The CCP upper-cases a command tail; the folding undoes that.) Uses A, BC, DE, HL.",
    )
    src.label("NORMALIZE")
    src.op("LD A,B")
    src.op("CP LINE_MAX+1")
    src.op("JR C,NORM_CUT")
    src.op("LD B,LINE_MAX", "cut to the first 127 bytes")
    src.label("NORM_CUT")
    src.op("LD A,' '")
    src.op("LD (QUERY),A", "the leading pad space")
    src.op("LD DE,QUERY+1", "DE = output")
    src.op("LD C,0", "C = normalised length")
    src.op("INC B")
    src.op("DEC B")
    src.op("JR Z,NORM_END")
    src.label("NORM_LOOP")
    src.op("LD A,(HL)")
    src.op("INC HL")
    src.op("CP 'A'")
    src.op("JR C,NORM_NOTUP")
    src.op("CP 'Z'+1")
    src.op("JR NC,NORM_NOTUP")
    src.op("ADD A,20h", "A-Z -> a-z")
    src.op("JR NORM_STORE")
    src.label("NORM_NOTUP")
    src.op("CP 21h")
    src.op("JR C,NORM_SPACE", "control bytes and the space itself")
    src.op("CP 7Fh")
    src.op("JR C,NORM_STORE", "printable: kept")
    src.label("NORM_SPACE", "a space: only after a non-space")
    src.op("INC C")
    src.op("DEC C")
    src.op("JR Z,NORM_NEXT", "nothing yet: a leading space")
    src.op("DEC DE")
    src.op("LD A,(DE)")
    src.op("INC DE")
    src.op("CP ' '")
    src.op("JR Z,NORM_NEXT", "previous was a space: collapse")
    src.op("LD A,' '")
    src.label("NORM_STORE")
    src.op("LD (DE),A")
    src.op("INC DE")
    src.op("INC C")
    src.label("NORM_NEXT")
    src.op("DJNZ NORM_LOOP")
    src.label("NORM_END")
    src.op("INC C")
    src.op("DEC C")
    src.op("JR Z,NORM_PAD")
    src.op("DEC DE")
    src.op("LD A,(DE)")
    src.op("CP ' '")
    src.op("JR Z,NORM_TRAIL", "a trailing space: it becomes the pad")
    src.op("INC DE")
    src.op("JR NORM_PAD")
    src.label("NORM_TRAIL")
    src.op("DEC C")
    src.label("NORM_PAD")
    src.op("LD A,' '")
    src.op("LD (DE),A", "the trailing pad space")
    src.op("LD A,C")
    src.op("LD (QUERY_LEN),A")
    src.op("RET")

    src.banner(
        "HASH_STEP: A = A * 31 + C, modulo 256. Uses D.",
        "The spec hashes h = (h * 31 + byte) mod 65536 and uses only h mod 128 (bucket = h & 127).",
        "Because 128 divides 65536 and 256, reducing modulo 256 after every step keeps h mod 128",
        "exact: (h * 31 + c) mod 128 depends only on h mod 128. So 8 bits suffice:",
        "h * 31 = h * 32 - h, and h * 32 mod 256 is h rotated left 5 (= right 3) masked to E0h.",
    )
    src.label("HASH_STEP")
    src.op("LD D,A")
    src.op("RRCA")
    src.op("RRCA")
    src.op("RRCA")
    src.op("AND 0E0h", "A = h * 32 mod 256")
    src.op("SUB D", "h * 31")
    src.op("ADD A,C", "+ byte")
    src.op("RET")
    src.banner(
        "ADD_SCALE: int16 array at DE, element A += ACT_SCALE. Uses A, HL.",
    )
    src.label("ADD_SCALE")
    src.op("LD L,A")
    src.op("LD H,0")
    src.op("ADD HL,HL")
    src.op("ADD HL,DE")
    src.op("LD A,(HL)")
    src.op("ADD A,ACT_SCALE")
    src.op("LD (HL),A")
    src.op("INC HL")
    src.op("LD A,(HL)")
    src.op("ADC A,0")
    src.op("LD (HL),A")
    src.op("RET")

    src.banner(
        "ENCODE_QUERY: INPUT[0 .. QUERY_BUCKETS) from QUERY (the trigram encoder)",
        "Every 3-byte window of ' ' + text + ' ' is hashed from seed 0; bucket h & (buckets-1)",
        "gets ACT_SCALE. An empty query leaves all zeros. Uses all registers.",
    )
    src.label("ENCODE_QUERY")
    src.op("LD HL,INPUT")
    src.op("LD DE,INPUT+1")
    src.op("LD (HL),0")
    src.op(f"LD BC,{2 * enc.query_buckets - 1}")
    src.op("LDIR", "clear the query half")
    src.op("LD A,(QUERY_LEN)")
    src.op("OR A")
    src.op("RET Z")
    src.op("LD B,A", "one trigram per normalised byte")
    src.op("LD HL,QUERY")
    src.label("EQ_TRIGRAM")
    src.op("XOR A", "seed 0")
    src.op("LD C,(HL)")
    src.op("CALL HASH_STEP")
    src.op("INC HL")
    src.op("LD C,(HL)")
    src.op("CALL HASH_STEP")
    src.op("INC HL")
    src.op("LD C,(HL)")
    src.op("CALL HASH_STEP")
    src.op("DEC HL", "HL = start of the next trigram")
    src.op(f"AND {hex8(enc.query_buckets - 1)}", "bucket")
    src.op("PUSH HL")
    src.op("LD DE,INPUT")
    src.op("CALL ADD_SCALE")
    src.op("POP HL")
    src.op("DJNZ EQ_TRIGRAM")
    src.op("RET")

    src.banner(
        "ENCODE_CONTEXT: INPUT[QUERY_BUCKETS ..] from CTXWIN (the context encoder)",
        "For n = 1, 2, 3 and every start pos, the n-gram CTXWIN[pos .. pos+n) is hashed from",
        "seed pos * 7; bucket h & (buckets-1) gets ACT_SCALE. Uses all registers.",
    )
    base = f"INPUT+{2 * enc.query_buckets}"
    src.label("ENCODE_CONTEXT")
    src.op(f"LD HL,{base}")
    src.op(f"LD DE,{base}+1")
    src.op("LD (HL),0")
    src.op(f"LD BC,{2 * enc.context_buckets - 1}")
    src.op("LDIR", "clear the context half")
    for n in (1, 2, 3):
        positions = enc.context_length - n + 1
        if positions <= 0:
            continue
        src.comment(f"{n}-grams: {positions} start positions")
        src.op("LD HL,CTXWIN")
        src.op(f"LD B,{positions}")
        src.op("LD E,0", "E = seed = pos * 7")
        src.label(f"EC_GRAM{n}")
        src.op("PUSH HL")
        src.op("PUSH DE")
        src.op("LD A,E")
        for k in range(n):
            if k:
                src.op("INC HL")
            src.op("LD C,(HL)")
            src.op("CALL HASH_STEP")
        src.op(f"AND {hex8(enc.context_buckets - 1)}", "bucket")
        src.op(f"LD DE,{base}")
        src.op("CALL ADD_SCALE")
        src.op("POP DE")
        src.op("POP HL")
        src.op("INC HL")
        src.op("LD A,E")
        src.op("ADD A,7")
        src.op("LD E,A")
        src.op(f"DJNZ EC_GRAM{n}")
    src.op("RET")


def _emit_forward(src: Source, plans: Sequence[LayerPlan], any_cols: bool) -> None:
    src.banner(
        "FORWARD: run every layer on INPUT; the logits end up in ACT_N (= LOGITS)",
        "Interrupts are off while the cols kernel walks weight columns with SP, and restored",
        "to what they were afterwards. Uses all registers.",
    )
    src.label("FORWARD")
    if any_cols:
        src.op("LD A,I", "P/V = IFF2")
        src.op("PUSH AF")
        src.op("DI")
    for plan in plans:
        src.op(f"CALL LAYER_{plan.index}")
    if any_cols:
        src.op("POP AF")
        src.op("RET PO")
        src.op("EI")
    src.op("RET")
    if any(p.kernel == ROWS for p in plans):
        kernels.emit_rows_shared(src)
    if any(p.kernel == COLS for p in plans):
        kernels.emit_cols_shared(src)
    if any(p.kernel == LISTS for p in plans):
        kernels.emit_lists_shared(src)
    if any(p.kernel == HYBRID for p in plans):
        kernels.emit_lists_shared(src, hybrid=True)
    for plan in plans:
        if plan.kernel == ROWS:
            kernels.emit_rows_layer(src, plan)
        else:
            if plan.query_inputs:
                kernels.emit_cols_query(src, plan)
            kernels.emit_cols_layer(src, plan)


def _emit_argmax(src: Source) -> None:
    src.banner(
        "ARGMAX: A = first index of the maximum logit (signed 16-bit compare)",
        "Signed order is unsigned order after flipping the sign bit. Uses BC, DE, HL, IX.",
    )
    src.label("ARGMAX")
    src.op("LD IX,LOGITS")
    src.op("LD E,(IX+0)")
    src.op("LD A,(IX+1)")
    src.op("XOR 80h")
    src.op("LD D,A", "DE = best so far, sign bit flipped")
    src.op("LD C,0", "C = index of the best")
    src.op("LD B,1", "B = index being compared")
    src.label("AM_NEXT")
    src.op("LD A,B")
    src.op("CP N_CLASSES")
    src.op("JR NC,AM_DONE")
    src.op("INC IX")
    src.op("INC IX")
    src.op("LD L,(IX+0)")
    src.op("LD A,(IX+1)")
    src.op("XOR 80h")
    src.op("LD H,A", "HL = candidate, sign bit flipped")
    src.op("OR A")
    src.op("SBC HL,DE")
    src.op("JR C,AM_SKIP", "smaller")
    src.op("JR Z,AM_SKIP", "equal: the first one wins")
    src.op("ADD HL,DE")
    src.op("EX DE,HL", "new best")
    src.op("LD C,B")
    src.label("AM_SKIP")
    src.op("INC B")
    src.op("JR AM_NEXT")
    src.label("AM_DONE")
    src.op("LD A,C")
    src.op("RET")


def _data_sections(model: Model, plans: Sequence[LayerPlan]) -> list[Section]:
    """rodata (strings, charset, biases) and one weights section per layer."""
    ro = Source()
    ro.banner("Strings and the charset (class i prints CHARSET[i]; EOS is the last class)")
    ro.label("PROMPT")
    ro.op("DB '> $'")
    ro.label("CRLF")
    ro.op("DB 0Dh,0Ah,'$'")
    ro.label("NO_MEMORY")
    ro.op("DB 'Not enough memory',0Dh,0Ah,'$'")
    ro.label("CHARSET")
    ro.db(model.charset)
    sections = []
    if model.answers:
        table = Source()
        emit_trie_table(table, model)
        sections.append(Section("answer_trie", "rodata", table.text()))
    for plan, layer in zip(plans, model.layers, strict=True):
        words = [int(b) & 0xFFFF for b in layer.bias]
        w = Source()
        if plan.kernel == ROWS:
            ro.banner(f"Layer {plan.index} biases (int16)")
            ro.label(plan.bias_label)
            ro.dw(words)
            w.banner(
                f"Layer {plan.index} weights: {plan.n_out} packed rows of {(plan.n_in + 3) // 4} bytes",
                "spec format: code = w + 2, four per byte, first weight in the lowest bits",
            )
            w.label(plan.weight_label)
            w.db(pack_weights(layer.weight))
        elif plan.kernel == HYBRID:
            ro.banner(f"Layer {plan.index} biases: low bytes, then high bytes")
            ro.label(f"{plan.bias_label}_LO")
            ro.db([v & 0xFF for v in words])
            ro.label(f"{plan.bias_label}_HI")
            ro.db([v >> 8 for v in words])
            lists_count = sum(plan.list_mask)
            w.banner(
                f"Layer {plan.index} weights: {plan.n_in} columns, {lists_count} as neuron lists,"
                f" {plan.n_in - lists_count} as 2-bit columns",
                "list: plus count, minus count, plus neurons, minus neurons (-2 twice), pad to even;",
                "2-bit column: byte count, 0FFh, codes 00 = 0, 01 = +1, 10 = -1, 11 = -2",
            )
            w.label(plan.weight_label)
            w.db(kernels.encode_hybrid(layer.weight, plan.list_mask))
        elif plan.kernel == LISTS:
            ro.banner(f"Layer {plan.index} biases: low bytes, then high bytes")
            ro.label(f"{plan.bias_label}_LO")
            ro.db([v & 0xFF for v in words])
            ro.label(f"{plan.bias_label}_HI")
            ro.db([v >> 8 for v in words])
            w.banner(
                f"Layer {plan.index} weights: {plan.n_in} neuron lists (plus, then minus)",
                "per input: plus count, minus count, plus neurons, minus neurons (-2 listed twice),",
                "a pad byte to an even length",
            )
            w.label(plan.weight_label)
            w.db(kernels.encode_lists(layer.weight))
        else:
            ro.banner(f"Layer {plan.index} biases: low bytes, then high bytes")
            ro.label(f"{plan.bias_label}_LO")
            ro.db([v & 0xFF for v in words])
            ro.label(f"{plan.bias_label}_HI")
            ro.db([v >> 8 for v in words])
            w.banner(
                f"Layer {plan.index} weights: {plan.n_in} columns of "
                f"{kernels.column_bytes(plan.n_out)} bytes",
                "column codes: 00 = 0, 01 = +1, 10 = -1, 11 = -2, four per byte, lowest first",
            )
            w.label(plan.weight_label)
            w.db(kernels.encode_columns(layer.weight))
        sections.append(Section(f"weights_{plan.index}", "weights", w.text()))
    return [Section("rodata", "rodata", ro.text()), *sections]


def check_model_fits_z80(model: Model) -> None:
    """UlmError unless the model is within what the generated program supports."""
    model.validate()
    if model.input_size > 256:
        raise UlmError(f"model input has {model.input_size} values; the Z80 program supports at most 256")
    for index, layer in enumerate(model.layers, start=1):
        if layer.n_out > 256:
            raise UlmError(f"layer {index} has {layer.n_out} outputs; the Z80 program supports at most 256")


def generate_sections(
    model: Model,
    layer_kernels: Sequence[str],
    file_end: int | None = None,
    hoist: bool = True,
    masks: Masks = (),
) -> list[Section]:
    """The program as linker sections: code, rodata, weights, then the run-time buffers.

    ``file_end`` (known after a first link) lets :func:`order_bss` fill the alignment gap.
    ``hoist``: with a cols/lists layer 1, compute its query half once per query (needs 4 bytes
    per layer-1 neuron of memory) instead of for every character.
    """
    for kernel in layer_kernels:
        if kernel not in kernels.KERNELS:
            raise UlmError(f"unknown kernel {kernel!r}; expected one of {', '.join(kernels.KERNELS)}")
    if len(layer_kernels) != len(model.layers):
        raise UlmError(f"{len(layer_kernels)} kernels given for {len(model.layers)} layers")
    plans = layer_plans(model, layer_kernels, hoist, masks)
    any_cols = uses_accumulator_pages(layer_kernels)
    hoisted = layer_kernels[0] != ROWS and hoist
    src = Source()
    _emit_header(src, model, layer_kernels)
    src.banner("Aliases of run-time buffers")
    if any_cols:
        src.equ("LINEBUF", "ACC_LO", "BDOS 10 line buffer: free until the accumulators are used")
        src.equ("QUERY", "ACC_HI", "normalised query: likewise")
    src.equ("STACK_TOP", "__stack_end", "initial SP")
    items = bss_items(model, layer_kernels, hoist)
    if file_end is not None:
        items = order_bss(items, file_end)
    src.equ("MEM_END", f"__{items[-1].name}_end", "first address after all buffers")
    src.equ("LOGITS", f"ACT_{len(model.layers)}", "int16 logits, one per class")
    _emit_main(src, model, hoisted, any_cols)
    _emit_tokenizer(src, model)
    _emit_forward(src, plans, any_cols)
    if model.answers:
        emit_argmax_trie(src)
    else:
        _emit_argmax(src)
    sections = [Section("code", "code", src.text()), *_data_sections(model, plans)]
    for item in items:
        sections.append(Section(item.name, "bss", align=item.align, bss_labels=item.labels))
    return sections
