"""Which column of an upload fills which field: suggested from the headers, in English and Chinese."""

import re
import unicodedata

_CAMEL_CASE_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[^\W_]+")
_ANNOTATION = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")


# Below this many characters an ASCII synonym matches whole words only: "id" must not match "valid".
_MIN_ASCII_SUBSTRING = 5
_MIN_CJK_SUBSTRING = 2


def _words(text: str) -> list[str]:
    """Casefolded words; full-width letters and punctuation (NFKC) count as their ASCII forms."""
    text = unicodedata.normalize("NFKC", text)
    # "电话(必填)", "Phone [required]": the annotation is not part of the name.
    text = _ANNOTATION.sub(" ", text) if _ANNOTATION.sub("", text).strip() else text
    text = _CAMEL_CASE_BOUNDARY.sub(" ", text)
    return _WORD.findall(text.casefold())


def _match_score(header_words: list[str], synonym_words: list[str]) -> tuple[int, int, float] | None:
    """(is exact, is at the end, share of the header covered), or None. Higher is better."""
    header, synonym = "".join(header_words), "".join(synonym_words)
    if not header or not synonym:
        return None
    if header == synonym:
        return (1, 1, 1.0)
    if synonym.isascii():
        # Whole words, where Chinese characters also end a word: "客户ID" holds "id", "valid" does not.
        as_words = rf"(?<![a-z0-9]){re.escape(' '.join(synonym_words))}(?![a-z0-9])"
        is_contained = bool(re.search(as_words, " ".join(header_words))) or (
            len(synonym) >= _MIN_ASCII_SUBSTRING and synonym in header
        )
    else:
        is_contained = len(synonym) >= _MIN_CJK_SUBSTRING and synonym in header
    if not is_contained:
        return None
    # Compound names end in what they are: 客户编号 is a number, "contact phone" is a phone.
    return (0, int(header.endswith(synonym)), len(synonym) / len(header))


def suggest_mapping(headers: list[str], fields: dict[str, list[str]]) -> dict[str, int | None]:
    """Suggest which column fills each field: `{field: header index or None}`.

    Matching ignores case, spaces and punctuation. An exact synonym beats a contained one; among contained
    ones, a synonym at the end of the header, then the one covering more of it, then the earlier synonym,
    then the earlier column wins. Guarantees: every field of `fields` is a key; no column is suggested for
    two fields; the same input always gives the same answer.
    """
    header_words = [_words(header) for header in headers]
    candidates = []
    for field_rank, (field_name, synonyms) in enumerate(fields.items()):
        for synonym_rank, synonym in enumerate(synonyms):
            synonym_words = _words(synonym)
            for index, words in enumerate(header_words):
                score = _match_score(words, synonym_words)
                if score is not None:
                    candidates.append((score, -synonym_rank, -field_rank, -index, field_name, index))
    candidates.sort(reverse=True)
    mapping: dict[str, int | None] = dict.fromkeys(fields)
    used_columns: set[int] = set()
    for *_ranking, field_name, index in candidates:
        if mapping[field_name] is None and index not in used_columns:
            mapping[field_name] = index
            used_columns.add(index)
    return mapping
