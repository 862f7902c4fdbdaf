"""Regenerates the tokenizer fixtures that Tests/TokenizerTests compares against.

Trains two small byte-level BPE tokenizers with the `tokenizers` library (pinned in ../requirements.txt) on text
written here, saves their tokenizer.json, and records the library's ids and decodings for a set of strings.

    python3 -m venv .venv && .venv/bin/pip install -r Tests/Fixtures/requirements.txt
    .venv/bin/python Tests/Fixtures/tokenizer/make_fixtures.py

Everything is deterministic: the same library version writes the same files.
"""

import json
import os
import random

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))

QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
    r"|\s+(?!\S)|\s+"
)

# ---------------------------------------------------------------------------------------------------------------
# Training text: code and prose written for these fixtures, varied by a seeded generator.

SWIFT = """
import Foundation

struct {Name}: Codable, Sendable {{
    let id: Int
    var title: String
    var tags: [String] = []

    func render(indent: Int = 4) -> String {{
        let pad = String(repeating: " ", count: indent)
        return pad + title + " (" + tags.joined(separator: ", ") + ")"
    }}
}}

enum {Name}Error: Error {{
    case notFound(id: Int)
    case invalid(reason: String)
}}

func load{Name}(from path: String) async throws -> [{Name}] {{
    guard let data = FileManager.default.contents(atPath: path) else {{
        throw {Name}Error.notFound(id: {n})
    }}
    return try JSONDecoder().decode([{Name}].self, from: data)
}}
"""

PYTHON = """
def {name}(items, limit={n}):
    \"\"\"Return the first {n} items whose score is positive.\"\"\"
    result = []
    for index, item in enumerate(items):
        if item.score > 0 and index < limit:
            result.append(item)
    return result


class {Name}:
    def __init__(self, path: str) -> None:
        self.path = path
        self._cache: dict[str, int] = {{}}

    def __repr__(self):
        return f"{Name}(path={{self.path!r}})"
"""

C = """
#include <stdio.h>
#include <stdlib.h>

static int {name}(const char *text, size_t length) {{
\tint count = 0;
\tfor (size_t i = 0; i < length; i++) {{
\t\tif (text[i] == '\\n') {{
\t\t\tcount += {n};
\t\t}}
\t}}
\treturn count;
}}

int main(int argc, char **argv) {{
\tprintf("%d\\n", {name}(argv[0], 12));
\treturn EXIT_SUCCESS;
}}
"""

JS = """
export async function {name}(url, options = {{}}) {{
  const response = await fetch(url, {{ ...options, method: "GET" }});
  if (!response.ok) {{
    throw new Error(`HTTP ${{response.status}}: ${{url}}`);
  }}
  const items = (await response.json()).filter((x) => x.value !== null);
  return items.map(({{ id, value }}) => ({{ id, value: value * {n} }}));
}}
"""

PROSE = [
    "The quick completion engine doesn't guess: it denoises the whole hole at once, and I'LL say it's fast.",
    "We'd rather test every edge case; they've said you're right, it's done.",
    "Le modèle complète le code; l'éditeur affiche la suggestion à côté du curseur.",
    "Das Modell füllt die Lücke zwischen Präfix und Suffix. Größe: 32 Token.",
    "Модель заполняет пропуск в коде, а редактор показывает подсказку.",
    "模型会一次性填充代码中的空缺，编辑器显示补全建议。",
    "このモデルはコードの穴を埋めます。エディタに候補を表示します。",
    "모델이 코드의 빈칸을 채우고 편집기가 제안을 보여 줍니다.",
    "يملأ النموذج الفراغ في الشيفرة ويعرض المحرر الاقتراح.",
    "Το μοντέλο συμπληρώνει τον κώδικα γρήγορα.",
    "मॉडल कोड में खाली जगह भरता है।",
    "Emoji in comments: 🚀 ✅ 👩‍💻 👨‍👩‍👧 🇫🇷 — and numbers ١٢٣ ⅠⅡⅢ ² ½.",
]

NAMES = ["Widget", "Parser", "Session", "Buffer", "Canvas", "Token", "Window", "Cursor", "Record", "Module"]


def training_text():
    rng = random.Random(1234)
    pieces = []
    for i in range(60):
        name = rng.choice(NAMES)
        fields = dict(Name=name, name=name.lower() + "_" + str(i), n=rng.randint(1, 999))
        pieces.append(rng.choice([SWIFT, PYTHON, C, JS]).format(**fields))
        pieces.append(rng.choice(PROSE))
    return pieces


# ---------------------------------------------------------------------------------------------------------------
# The two tokenizers.

SPECIALS = ["<|endoftext|>", "<|mask|>", "<|file_sep|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"]


def train(pre_tokenizer, normalizer, vocab_size):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_text(), trainer)
    return tok


def qwen_like():
    tok = train(
        pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]),
        normalizers.NFC(),
        1400,
    )
    # As in Qwen2, the special tokens come after the merged vocabulary.
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    # Non-special added tokens: one matched in the raw text, one matched after NFC (its content is written
    # decomposed here, so it only matches because both it and the text are normalized).
    tok.add_tokens([
        AddedToken("<think>", special=False, normalized=False),
        AddedToken("nai\u0308ve_marker", special=False, normalized=True),
    ])
    return tok


def gpt2_like():
    tok = train(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), None, 1200)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    tok.add_special_tokens([AddedToken("<|sep|>", special=True, normalized=False, lstrip=True, rstrip=True)])
    tok.add_tokens([AddedToken("TODO", special=False, normalized=False, single_word=True)])
    return tok


# ---------------------------------------------------------------------------------------------------------------
# Strings to check.

CASES = [
    "",
    " ",
    "a",
    "hello world",
    "Hello World! How are you?",
    "don't stop, I'LL go; we'd've SHE'S it's 'tis",
    "x'ſ and 's at the start",
    "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\n",
    "struct Point: Equatable { var x = 0.5, y = -1e10 }\r\n",
    "def f(x):\n\tif x > 0:\n\t\treturn x ** 2\n\treturn None\n",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
    "const f = async (a, b) => { await g(a?.b ?? 3); };\n",
    "    indented    with     runs\n\n\n\nof spaces",
    " " * 300 + "x",
    "\n" * 50,
    "\t\t\t\tTabs\tand\ttabs\t",
    "line one\r\nline two\r\n\r\nline four\r",
    "trailing spaces   \n  leading",
    "1234567890 3.14159 0xFF 1_000_000",
    "emoji 🚀🔥 and ZWJ 👩‍💻 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 skin 👍🏽",
    "中文字符测试，代码补全。日本語のテキスト。한국어 텍스트.",
    "Arabic: مرحبا بالعالم ١٢٣ Hebrew: שלום עולם",
    "combining: e\u0301 a\u0300 n\u0303 \u0301 lone mark at start",
    "\u0301",
    "NFC: caf\u00e9 vs cafe\u0301 and \u212b vs A\u030a",
    "Ｆｕｌｌｗｉｄｔｈ ｃｈａｒｓ and ﬁ ligatures",
    "nbsp\u00a0here and ideographic\u3000space and line\u2028separator",
    "<|endoftext|>",
    "<|endoftext|><|endoftext|>",
    "prefix<|fim_prefix|>def f():<|fim_suffix|>\n    return 1<|fim_middle|>",
    "<|file_sep|>src/main.swift\nprint(\"hi\")\n<|file_sep|>README.md\n# Title\n",
    "a<|mask|><|mask|><|mask|>b",
    "almost <|endoftext| special <|mask",
    "<think> reasoning </think> and <think><think>",
    "the nai\u0308ve_marker and the na\u00efve_marker",
    "split <|sep|>   here and   <|sep|>there<|sep|>",
    "TODO: fix; TODOs stay; aTODO; TODO",
    "mixed: Ünïcödé, ñ, ß, ø, Ω, π, λ → ∑∫√ ≠ ≤ ≥",
    "sym !@#$%^&*()_+-=[]{}|;':\",./<>?`~ end",
    "a\u200bb\u200dc\ufeffd",
    "\x00\x01\x02\x7f control chars",
    "👩‍👩‍👧‍👧👩‍👩‍👧‍👧👩‍👩‍👧‍👧",
    "Ⅻ² ½ ٣ ௫ numbers in other scripts 𝟘𝟙",
    "𝓜𝓪𝓽𝓱 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 letters outside the BMP",
]

# Scalars for random strings: every class the split patterns distinguish, and the edges between them.
ALPHABET = (
    list("abcXYZ019 '\t\r\n.,;(){}<>\"_-+=*/\\#@!?|")
    + [" ", " ", " ", "\n", "'s", "'S", "'ll", "'RE", "ſ"]
    + ["é", "e\u0301", "\u0301", "ß", "Ω", "д", "中", "文", "ア", "한", "ب", "١", "Ⅻ", "²", "½"]
    + ["\u00a0", "\u3000", "\u2028", "\u0085", "\u200b", "\x0b", "\x0c"]
    + ["🚀", "👩‍💻", "\u200d", "🇫", "🏽", "𝟘", "𝓜"]
    + ["<|endoftext|>", "<|mask|>", "<think>", "<|sep|>", "TODO"]
)


def random_cases(count, seed):
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        length = rng.randint(1, 30)
        cases.append("".join(rng.choice(ALPHABET) for _ in range(length)))
    return cases


def random_id_sequences(tok, count, seed):
    """Id sequences that cut characters apart, to check decoding of invalid and partial UTF-8."""
    rng = random.Random(seed)
    size = tok.get_vocab_size(with_added_tokens=True)
    byte_ids = [tok.token_to_id(c) for c in sorted(pre_tokenizers.ByteLevel.alphabet())]
    byte_ids = [i for i in byte_ids if i is not None]
    sequences = []
    for _ in range(count):
        length = rng.randint(1, 12)
        seq = [rng.choice(byte_ids) if rng.random() < 0.6 else rng.randrange(size) for _ in range(length)]
        sequences.append(seq)
    # A specific lead/continuation mix: truncated sequences, surrogates, overlongs, bytes above F4.
    for raw in [b"\xe2\x82", b"\xe2\x82A", b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf5\x80", b"\xff",
                b"\x80\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\xaf", b"a\xf0\x9f\x98\x80b"]:
        sequences.append([tok.token_to_id(BYTE_TO_CHAR[byte]) for byte in raw])
    return sequences


def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


BYTE_TO_CHAR = bytes_to_unicode()


def expectations(tok, strings):
    plain = Tokenizer.from_str(tok.to_str())
    plain.encode_special_tokens = True
    out = []
    for text in strings:
        ids = tok.encode(text, add_special_tokens=False).ids
        out.append({
            "text": text,
            "ids": ids,
            "ids_special_as_text": plain.encode(text, add_special_tokens=False).ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    return out


LLAMA3_PATTERN = QWEN2_PATTERN.replace(r"|\p{N}|", r"|\p{N}{1,3}|")

# Configurations the trained files do not use, checked by editing the saved JSON (the Swift tests apply the same
# edits), so that they need no tokenizer files of their own.
VARIANTS = {
    "qwen2-like": {
        "add_prefix_space": [["pre_tokenizer", "pretokenizers", 1, "add_prefix_space"], True],
        "ignore_merges": [["model", "ignore_merges"], True],
    },
    "gpt2-like": {
        "add_prefix_space": [["pre_tokenizer", "add_prefix_space"], True],
        "no_regex": [["pre_tokenizer", "use_regex"], False],
        # Llama-3's split (digits in groups of up to three) over a vocabulary that has merges of digits.
        "llama3_split": [["pre_tokenizer"], {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ]}],
    },
}


def variant_expectations(path, variants, strings):
    result = {}
    for name, (keys, value) in variants.items():
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
        tok = Tokenizer.from_str(json.dumps(data))
        result[name] = {"path": keys, "value": value,
                        "ids": [tok.encode(text, add_special_tokens=False).ids for text in strings]}
    return result


def write_json(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def save_tokenizer(tok, name, legacy_merges):
    data = json.loads(tok.to_str())
    if legacy_merges:
        # The older "a b" form of merges, still found in many published files.
        data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    # Expectations come from the file as saved, so they also check that the saved form loads identically.
    return Tokenizer.from_file(path)


def regex_classes():
    """The scalars that the library's regex engine puts in \\p{L}, \\p{N} and \\s, as [first, last] ranges.

    Its Unicode version can differ from the Swift runtime's; the tests compare every scalar against these.
    """
    scalars = [c for c in range(1, 0x110000) if not (0xD800 <= c < 0xE000) and c != ord("#")]
    result = {}
    for name, pattern in [("letter", r"\p{L}"), ("number", r"\p{N}"), ("whitespace", r"\s")]:
        remover = pre_tokenizers.Split(Regex(pattern), "removed")
        members = []
        for start in range(0, len(scalars), 20000):
            block = scalars[start:start + 20000]
            # Each scalar is followed by "#"; a member is removed, leaving an empty field between separators.
            kept = "".join(p for p, _ in remover.pre_tokenize_str("#".join(map(chr, block)) + "#")).split("#")
            members += [c for c, field in zip(block, kept) if field == ""]
        ranges = []
        for c in members:
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        result[name] = ranges
    return result


def main():
    write_json("unicode-classes.json", {"library": "tokenizers " + tokenizers.__version__, **regex_classes()})
    qwen = save_tokenizer(qwen_like(), "qwen2-like.tokenizer.json", legacy_merges=False)
    gpt2 = save_tokenizer(gpt2_like(), "gpt2-like.tokenizer.json", legacy_merges=True)
    strings = CASES + random_cases(250, seed=7)
    for name, tok in [("qwen2-like", qwen), ("gpt2-like", gpt2)]:
        specials = {t.content: i for i, t in tok.get_added_tokens_decoder().items()}
        write_json(f"{name}.expected.json", {
            "library": "tokenizers " + tokenizers.__version__,
            "vocab_size": tok.get_vocab_size(with_added_tokens=True),
            "added_tokens": specials,
            "cases": expectations(tok, strings),
            "decode_cases": [
                {
                    "ids": ids,
                    "decoded": tok.decode(ids, skip_special_tokens=False),
                    "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
                }
                for ids in random_id_sequences(tok, 80, seed=11)
            ],
            # Ids for the first strings of "cases" under each edited configuration.
            "variants": variant_expectations(
                os.path.join(HERE, f"{name}.tokenizer.json"), VARIANTS[name], strings[:120]),
        })


if __name__ == "__main__":
    main()
