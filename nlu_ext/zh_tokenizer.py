"""A spaCy tokenizer for English, Chinese and the two mixed: jieba for Chinese runs.

One Rasa model serves both languages, so the project's spaCy pipeline (the blank
English pipeline of ``nlu_ext/spacy_rules.py``) needs a tokenizer that splits
"总胆红素320微摩尔/升，INR 1.8" into 总胆红素 / 320 / 微摩尔 / / / 升 / ， / INR / 1.8.
spaCy's blank ``zh`` cannot serve: its default segmenter cuts every character
(I, N, R, 1, ., 8), and Rasa's ``JiebaTokenizer`` is for ``language: zh`` only and
emits whitespace tokens that break DIET on mixed text (RasaHQ/rasa#7910).

How a text is cut (``MixedTokenizer.__call__``):
- a run of Chinese characters (the ranges ``bot.screening.language`` counts, and 〇)
  is segmented by jieba: one ``jieba.Tokenizer`` instance, with jieba's own dictionary
  and our user dictionary (``nlu_ext/zh_words.txt``: 小三阳, 总胆红素, 我妈 …), exact
  mode, no HMM (the HMM glues unknown single characters together: 三天前吐过一次血
  became 前吐过, 还拉黑便 became 还拉黑), never paddle;
- each full-width punctuation mark (，。、；：？！（）《》 …) is a token of its own;
- everything else goes to the unchanged English tokenizer, so "INR 1.8", "35%" and
  "umol/L" are cut exactly as in an English message. A text with neither Chinese nor
  full-width punctuation is the English tokenizer's doc, untouched.
Offsets are exact (``doc.text == text``; Rasa's ``SpacyTokenizer`` uses ``token.idx``).
The only whitespace tokens are the ones spaCy's own tokenizer makes: a run of spaces
other than one plain space after a token (Rasa drops them).

Saved with the pipeline (``to_disk``: a directory with the English tokenizer's rules
and the user dictionary it was built with), so a saved pipeline segments the same way
wherever it is loaded. ``spacy.load`` needs the registered function: call
``register()`` first. ``nlu_ext.value_extractor`` does at import, so ``import nlu_ext``
(what Rasa does for our components, before ``SpacyNLP`` loads the model) is enough.

Cost, measured on the 2-core machine (busy): loading the saved pipeline takes about
1.3 s and 90 MB resident instead of 0.25 s and 6 MB, nearly all of it jieba (importing
it 17 MB, its dictionary 0.6-0.9 s and 76 MB); cutting a message takes 40-60 µs for
Chinese or mixed text, and English text is untouched (6-10 µs, as before).
One jieba instance serves every tokenizer of the process with the same user words. A
pipeline loaded from disk (the one ``SpacyNLP`` serves) loads it at once
(``from_disk``): lazily, the first Chinese message would stall the server's event loop
for about a second (every conversation waits) and memory would jump after warm-up, and
a server for a Beijing hospital gets Chinese within minutes anyway, so laziness would
save nothing there. A pipeline built in memory (``spacy_rules.default_pipeline``, which
in the server only matches on SpacyNLP's tokens) loads it on its first Chinese text.
A smaller main dictionary was tried and not taken: jieba's 100,000 most frequent words
cost 21 MB, but split words patients use (睡不着, 肝移植, 同意书, 凝血酶原).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

logger = logging.getLogger(__name__)

#: The name of the tokenizer in spaCy's registry (``[nlp.tokenizer]`` in config.cfg).
TOKENIZER_NAME = "trial_mixed_zh_en_tokenizer.v1"

#: Our user dictionary: one word a line, optionally "word freq tag" (jieba's format).
USER_WORDS_PATH = Path(__file__).with_name("zh_words.txt")

_ENGLISH_FILE = "english"
_WORDS_FILE = "zh_words.txt"
_SETTINGS_FILE = "settings.json"

#: Chinese characters: CJK Unified Ideographs, Extension A, Compatibility, and 〇.
CJK_CHARS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Full-width and CJK punctuation, one token each. Left out: the ideographic space
#: U+3000 (whitespace), 々 and 〆 (in words), 〇 (a numeral), the full-width full stop
#: U+FF0E (a decimal point in "１．８"), and full-width digits and letters.
FULLWIDTH_PUNCT = (
    "\u3001-\u3004\u3008-\u303f"
    "\uff01-\uff0d\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    "\ufe10-\ufe19\ufe30-\ufe4f"
)
_SEGMENTS = re.compile(f"(?P<cjk>[{CJK_CHARS}]+)|(?P<punct>[{FULLWIDTH_PUNCT}])")

_lock = threading.Lock()
_segmenters: dict[str, Any] = {}


def read_user_words(path: Path | str = USER_WORDS_PATH) -> str:
    """The user dictionary's text, blank lines and ``#`` comments dropped."""
    lines = Path(path).read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    kept = [
        ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")
    ]
    return "\n".join(kept) + "\n"


def segmenter(user_words: str) -> Any:
    """The process's ``jieba.Tokenizer`` for these user words (created once)."""
    found = _segmenters.get(user_words)
    if found is not None:
        return found
    with _lock:
        found = _segmenters.get(user_words)
        if found is None:
            import io

            import jieba

            jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict ..." chatter
            found = jieba.Tokenizer()
            found.initialize()
            found.load_userdict(io.BytesIO(user_words.encode("utf-8")))
            _segmenters[user_words] = found
    return found


class MixedTokenizer:
    """spaCy tokenizer: jieba for Chinese runs, the English tokenizer for the rest."""

    def __init__(
        self,
        vocab: Vocab,
        english: Any,
        user_words: str | None = None,
        hmm: bool = False,
    ) -> None:
        self.vocab = vocab
        self.english = english
        self.user_words = read_user_words() if user_words is None else user_words
        self.hmm = hmm
        self._jieba: Any = None

    # -- segmentation --------------------------------------------------------------

    def load(self) -> None:
        """Load jieba's dictionary now (otherwise: on the first Chinese text)."""
        if self._jieba is None:
            self._jieba = segmenter(self.user_words)

    def _chinese(self, run: str) -> list[str]:
        self.load()
        words = [w for w in self._jieba.cut(run, cut_all=False, HMM=self.hmm) if w]
        if "".join(words) != run:  # never seen; keep the offsets exact regardless
            logger.warning("jieba changed the text of %r; cut by character", run)
            return list(run)
        return words

    def __call__(self, text: str) -> Doc:
        if not _SEGMENTS.search(text):
            english_doc: Doc = self.english(text)
            return english_doc
        from spacy.tokens import Doc

        spans: list[tuple[int, int]] = []
        norms: dict[int, str] = {}

        def english(start: int, end: int) -> None:
            if start >= end or text[start:end].isspace():
                return
            for tok in self.english(text[start:end]):
                if tok.is_space:
                    continue
                if tok.norm_ != tok.lex.norm_:  # a special case's norm ("'m" -> am)
                    norms[len(spans)] = tok.norm_
                spans.append((start + tok.idx, start + tok.idx + len(tok.text)))

        pos = 0
        for m in _SEGMENTS.finditer(text):
            english(pos, m.start())
            if m.group("cjk"):
                at = m.start()
                for word in self._chinese(m.group()):
                    spans.append((at, at + len(word)))
                    at += len(word)
            else:
                spans.append((m.start(), m.end()))
            pos = m.end()
        english(pos, len(text))
        words, spaces, index = _words_and_spaces(text, spans)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for i, norm in norms.items():
            doc[index[i]].norm_ = norm
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    # -- serialisation -------------------------------------------------------------

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        import srsly  # type: ignore[import-untyped]

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.english.to_disk(path / _ENGLISH_FILE, exclude=exclude)
        (path / _WORDS_FILE).write_text(self.user_words, encoding="utf-8")
        srsly.write_json(path / _SETTINGS_FILE, {"hmm": self.hmm})

    def from_disk(
        self, path: str | Path, *, exclude: Iterable[str] = ()
    ) -> MixedTokenizer:
        import srsly

        path = Path(path)
        self.english.from_disk(path / _ENGLISH_FILE, exclude=exclude)
        self.user_words = (path / _WORDS_FILE).read_text(encoding="utf-8")
        self.hmm = bool(srsly.read_json(path / _SETTINGS_FILE).get("hmm", False))
        self._jieba = None
        self.load()  # eager: the served pipeline pays at start-up, not mid-turn
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        import srsly

        data = {
            "english": self.english.to_bytes(exclude=exclude),
            "user_words": self.user_words,
            "hmm": self.hmm,
        }
        return bytes(srsly.msgpack_dumps(data))

    def from_bytes(
        self, bytes_data: bytes, *, exclude: Iterable[str] = ()
    ) -> MixedTokenizer:
        import srsly

        data = srsly.msgpack_loads(bytes_data)
        self.english.from_bytes(data["english"], exclude=exclude)
        self.user_words = str(data["user_words"])
        self.hmm = bool(data.get("hmm", False))
        self._jieba = None
        return self


def _words_and_spaces(
    text: str, spans: list[tuple[int, int]]
) -> tuple[list[str], list[bool], list[int]]:
    """spaCy's ``words``/``spaces`` for tokens at ``spans`` (sorted, disjoint) of
    ``text``, with the whitespace between them as spaCy's own tokenizer keeps it: one
    plain space after a token is its trailing space, any other whitespace a token.
    Also the index in ``words`` of each span."""
    words: list[str] = []
    spaces: list[bool] = []
    index: list[int] = []

    def gap(start: int, end: int) -> None:
        between = text[start:end]
        if not between:
            return
        if between.startswith(" ") and words and not spaces[-1]:
            spaces[-1] = True
            between = between[1:]
        if between:
            words.append(between)
            spaces.append(False)

    pos = 0
    for start, end in spans:
        gap(pos, start)
        index.append(len(words))
        words.append(text[start:end])
        spaces.append(False)
        pos = end
    gap(pos, len(text))
    return words, spaces, index


def create_tokenizer(hmm: bool = False) -> Callable[[Language], MixedTokenizer]:
    """The registered function (``@tokenizers = "trial_mixed_zh_en_tokenizer.v1"``)."""
    from spacy.util import registry

    english_factory = registry.tokenizers.get("spacy.Tokenizer.v1")()

    def make(nlp: Language) -> MixedTokenizer:
        return MixedTokenizer(nlp.vocab, english_factory(nlp), hmm=hmm)

    return make


def register() -> None:
    """Put ``create_tokenizer`` in spaCy's registry (idempotent)."""
    from spacy.util import registry

    if TOKENIZER_NAME not in registry.tokenizers:
        registry.tokenizers.register(TOKENIZER_NAME, func=create_tokenizer)


def has_segments(text: str) -> bool:
    """Does ``text`` hold Chinese characters or full-width punctuation?"""
    return bool(_SEGMENTS.search(text))
