"""The token rules of Stanford CoreNLP 3.4.1's PTBLexer, for ASCII text, as regular expressions.

Written from the lexer's published grammar (its default options as ``PTBTokenizer -preserveLines``
uses them: PTB3 escaping, LaTeX quotes, split assimilations, no Americanisation, Traditional
Treebank 3 fractions). The grammar is case-insensitive for literal strings (``%caseless``) but not
for character classes; ``_ci`` marks the literals. Each rule is (token pattern, trailing context
pattern or None, action); :mod:`evaluation.ptb` applies them with the lexer's longest-match rule
(trailing context counted in the length, the earlier rule winning ties).
"""

from __future__ import annotations


def _ci(pattern: str) -> str:
    """``pattern`` with every letter outside a character class matching either case.

    (Spelled out as ``[xX]`` rather than an inline ``(?i:...)`` group, which the ``regex``
    module mishandles inside some alternations.)
    """
    out = []
    in_class = escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_class = True
        elif ch.isalpha() and ch.lower() != ch.upper():
            out.append(f"[{ch.lower()}{ch.upper()}]")
        else:
            out.append(ch)
    return "(?:" + "".join(out) + ")"


SPACE = r"[ \t]"
SPACES = SPACE + "+"
NEWLINE = r"(?:\r\n|\r|\n|\x0b|\x0c)"
SPACENL = f"(?:{SPACE}|{NEWLINE})"
SPACENLS = SPACENL + "+"
LETTER_C = "A-Za-z"
SPLET = "&[aeiouAEIOU]" + _ci("acute|grave|uml") + ";"
LETTER = f"(?:[{LETTER_C}]|{SPLET})"
DIGIT = "[0-9]"
SGML = (
    r"<(?:[!?][A-Za-z\-][^>\r\n]*|[A-Za-z][A-Za-z0-9_:.\-]*(?:[ ]+(?:[A-Za-z][A-Za-z0-9_:.\-]*|"
    r"[A-Za-z][A-Za-z0-9_:.\-]*[ ]*=[ ]*(?:'[^']*'|\"[^\"]*\")))*[ ]*/?|/[A-Za-z][A-Za-z0-9_:.\-]*)"
    r"[ ]*>"
)
SENTEND = f"{SPACENL}(?:{SPACENL}|[A-Z]|{SGML})"
SPMDASH = "&" + _ci("MD|mdash|ndash") + ";"
SPAMP = "&" + _ci("amp") + ";"
SPPUNC = "&" + f"(?:{_ci('HT|TL|UR|LR|QC|QL|QR|odq|cdq')}|#[0-9]+)" + ";"
DATE = f"{DIGIT}{{1,2}}[\\-/]{DIGIT}{{1,2}}[\\-/]{DIGIT}{{2,4}}"
NUM = f"(?:{DIGIT}+|{DIGIT}*(?:[.:,]{DIGIT}+)+)"
NUMBER = f"[\\-+]?{NUM}"
FRAC = f"(?:{DIGIT}{{1,4}}[\\- ])?{DIGIT}{{1,4}}\\\\?/{DIGIT}{{1,4}}"
DOLSIGN = r"(?:[A-Z]*\$|#)"
WORD = f"{LETTER}(?:{LETTER}|{DIGIT})*(?:[.!?]{LETTER}(?:{LETTER}|{DIGIT})*)*"
FILENAME_EXT = _ci(
    "bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|mp3|pdf|"
    "php|pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip"
)
FILENAME = f"(?:{LETTER}|{DIGIT})+(?:[.](?:{LETTER}|{DIGIT})+)*[.]{FILENAME_EXT}"
APOS = "(?:'|" + _ci("&apos;") + ")"
APOSETCETERA = f"(?:{APOS}|`)"
HYPHEN = "[-_]"
_ALNUM = "[A-Za-z0-9]"
_THING_PART = f"(?:[dDoOlL]{APOSETCETERA}{_ALNUM})?{_ALNUM}+"
THING = f"{_THING_PART}(?:{HYPHEN}{_THING_PART})*"
THINGA = f"[A-Z]+(?:(?:[+&]|{SPAMP})[A-Z]+)+"
THING3 = r"[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}"
ACRO_SPECIAL = (
    _ci("Canada|Sino|Korean|EU|Japan|non") + "-" + _ci("U") + r"\." + _ci("S") + "|"
    + _ci("U") + r"\." + _ci("S") + r"\.-(?:" + _ci("U") + r"\." + _ci("K") + "|"
    + _ci("U") + r"\." + _ci("S") + r"\." + _ci("S") + r"\." + _ci("R") + ")"
)  # fmt: skip
ACRO = f"(?:[A-Za-z](?:\\.[A-Za-z])*|{ACRO_SPECIAL})"
ACRO2 = f"(?:[A-Za-z](?:\\.[A-Za-z])+|{ACRO_SPECIAL})"
HTHING = f"[A-Za-z0-9][A-Za-z0-9.,]*(?:-(?:[A-Za-z0-9]+|{ACRO2}\\.))+"
REDAUX = f"{APOS}(?:[msdMSD]|{_ci('re|ve|ll')})"
SWORD = "[A-Za-z]*[A-MO-Za-mo-z]"
SREDAUX = f"[nN]{APOSETCETERA}[tT]"
APOWORD = (
    f"{APOS}[nN]{APOS}?|[lLdDjJ]{APOS}|{_ci('Dunkin')}{APOS}|{_ci('somethin')}{APOS}|"
    f"{_ci('ol')}{APOS}|{APOS}{_ci('em')}|[A-HJ-XZn]{APOSETCETERA}[A-Za-z]{{2}}[A-Za-z]*|"
    f"{APOS}[2-9]0[sS]|{APOS}{_ci('til')}[lL]?|"
    f"[A-Za-z][A-Za-z]*[aeiouyAEIOUY]{APOSETCETERA}[aeiouA-Z][A-Za-z]*|{APOS}{_ci('cause')}|"
    + _ci("cont'd") + r"\.?|"
    + _ci("'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l")
    + f"|[oO]{APOSETCETERA}[oO]"
)  # fmt: skip
APOWORD2 = f"[yY]{APOS}"
FULLURL = _ci("http") + r"[sS]?://[^ \t\n\f\r\"<>|(){}]+[^ \t\n\f\r\"<>|.!?(){},\-]"
LIKELYURL = (
    r"(?:(?:" + _ci("www") + r"\.(?:[^ \t\n\f\r\"<>|.!?(){},]+\.)+[a-zA-Z]{2,4})|"
    # ",-_" is a range in the grammar (it excludes digits, capitals, "@", ":", "/", ...)
    r"(?:(?:[^ \t\n\f\r\"`'<>|.!?(){},-_$]+\.)+" + _ci("com|net|org|edu") + r"))"
    r"(?:/[^ \t\n\f\r\"<>|()]+[^ \t\n\f\r\"<>|.!?(){},\-])?"
)
EMAIL = (
    r"(?:" + _ci("&lt;") + r"|<)?[a-zA-Z0-9][^ \t\n\f\r\"<>|(){}]*@"
    r"(?:[^ \t\n\f\r\"<>|(){}.]+\.)*(?:[^ \t\n\f\r\"<>|(){}.]+)(?:" + _ci("&gt;") + r"|>)?"
)
TWITTER = f"(?:@[a-zA-Z_][a-zA-Z_0-9]*|#{LETTER}+)"
ABMONTH = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
ABDAYS = "Mon|Tue|Tues|Wed|Thu|Thurs|Fri"
ABSTATE_CI = (
    "Ala|Ariz|Calif|Colo|Conn|Ct|Dak|Fla|Ga|Ind|Kans?|Ky|Md|Mich|Minn|Mo|Mont|Neb|Nev|Okla|Penn|"
    "Tenn|Va|Vt|Wisc?|Wyo"
)
ABSTATE = (
    _ci(ABSTATE_CI) + "|A" + _ci("z") + "|A" + _ci("rk") + "|D" + _ci("el") + "|I" + _ci("ll")
    + "|L" + _ci("a") + "|M" + _ci("ass") + "|M" + _ci("iss") + "|O" + _ci("re") + "|P"
    + _ci("a") + "|T" + _ci("ex") + "|W" + _ci("ash")
)  # fmt: skip
ABCOMP = _ci("Inc|Cos?|Corp|Pp?t[ye]s?|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys")
ABNUM = _ci("tel|est|ext|sq")
ABPTIT = _ci(r"Jr|Sr|Bros|(?:Ed|Ph)\.D|Blvd|Rd|Esq")
ABBREV1 = (
    f"(?:{_ci(ABMONTH)}|{_ci(ABDAYS)}|{ABSTATE}|{ABCOMP}|{ABNUM}|{ABPTIT}|"
    f"{_ci('etc|al|seq|Bldg')})\\."
)
ABTITLE = (
    _ci(
        "Mr|Mrs|Ms|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|"
        "Pvt|Capt|Ste?|Ave|Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det|Mt|Ft|Adj|Adv|Asst|"
        "Assoc|Ens|Insp|Mlle|Mme|Msgr|Sfc"
    )
    + "|M"
    + _ci("iss")
)
ABCOMP2 = _ci("Invt|Elec|Natl|M[ft]g|Dept")
_ABBREV4_WORDS = _ci(r"vs|Alex|Wm|Jos|Cie|a\.k\.a|cf|TREAS|Ph")
ABBREV4 = f"(?:{ABTITLE}|{_ABBREV4_WORDS}|{ACRO}|{ABCOMP2})"
ABBREV2 = ABBREV4 + r"\."
ACRONYM = ACRO + r"\."
ABBREV3 = _ci("ca|figs?|prop|nos?|art|bldg|prop|pp|op") + r"\."
ACRONYM_NEXT = (
    "(?:A"
    + _ci("bout|ccording|dditionally|fter|n|s|t")
    + "?|B" + _ci("ut") + "|E" + _ci("arlier") + "|H" + _ci("e|er|ere|owever")
    + "|I" + _ci("f|n|t") + "|L" + _ci("ast") + "|M" + _ci(r"any|ore|r\.|s\.")
    + "|N" + _ci("ow") + "|O" + _ci("nce|ne|ther|ur") + "|S" + _ci("he|ince|o|ome|uch")
    + "|T" + _ci("hat|he|heir|hen|here|hese|hey|his") + "|W" + _ci("e|hen|hile|hat")
    + "|Y" + _ci("et|ou") + "|" + SGML + ")"
)  # fmt: skip
PHONE = (
    r"(?:\([0-9]{2,3}\)[ ]?|(?:\+\+?)?(?:[0-9]{2,4}[\- ])?[0-9]{2,4}[\- ])[0-9]{3,4}[\- ]?"
    r"[0-9]{3,5}|(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}"
)
LDOTS = r"(?:\.{3,5}|(?:\.[ ]){2,4}\.)"
FNMARKS = "(?:@+|#+|_+)"
ASTS = r"(?:\*+|(?:\\\*){1,3})"
INSENTP = "[,;:]"
QUOTES = f"(?:{APOS}|''|`{{1,2}})"
DBLQUOT = '(?:"|' + _ci("&quot;") + ")"
TBSPEC = (
    "-" + _ci("RRB|LRB|RCB|LCB|RSB|LSB") + "-|" + _ci(r"C\.D\.s|pro-|anti-") + "|"
    + _ci("S") + "(?:&|" + _ci("&amp;") + ")" + _ci("P-500") + "|"
    + _ci("S") + "(?:&|" + _ci("&amp;") + ")" + _ci("Ls") + "|"
    + _ci("Cap") + APOS + _ci("n") + "|" + _ci("c") + APOS + _ci("est")
)  # fmt: skip
TBSPEC2 = f"{APOS}[0-9][0-9]"
SMILEY = r"[<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]]"
# 3.4.1's first alternative is written "[\^x=~<>]\.\[\^x=~<>]" in its grammar: a "." then the
# literal text "[^x=~<>]" (its x caseless), so "^.[^x=~<>]" is one token and "^.^" is "^ . ^"
# (later releases fixed it to "^.^"; differential fuzzing against the jar, scripts/ptb_rule_fuzz.py)
ASIANSMILEY = (
    r"[\^x=~<>]\.\[\^" + _ci("x") + r"=~<>\]|"
    r"[\-\^x=~<>']_[\-\^x=~<>']|\([\-\^x=~<>'][_.]?[\-\^x=~<>']\)|"
    r"\([\^x=~<>']-[\^x=~<>'`]\)"
)
MISCSYMBOL = r"[+%&~\^|\\]"

# (token pattern, trailing context or None, action); order is the grammar's.
RULES: list[tuple[str, str | None, str]] = [
    (_ci("c") + r"[+][+]", None, "text"),
    (_ci("c|f") + "#", None, "text"),
    (_ci("cannot"), None, "back3"),
    (_ci("'twas"), None, "back3"),
    (_ci("'tis"), None, "back2"),
    (_ci("gonna|gotta|lemme|gimme|wanna"), None, "back2"),
    (SGML, None, "sgml"),
    (SPMDASH, None, "mdash"),
    (SPAMP, None, "amp"),
    (SPPUNC, None, "text"),
    (WORD, REDAUX, "text"),
    (SWORD, SREDAUX, "text"),
    (WORD, None, "text"),
    (APOWORD, None, "text"),
    (APOWORD2, "[A-Za-z]", "text"),
    (FULLURL, None, "text"),
    (LIKELYURL, None, "text"),
    (EMAIL, None, "text"),
    (TWITTER, None, "text"),
    (REDAUX, "[^A-Za-z]", "quote_right"),
    (SREDAUX, "[^A-Za-z]", "quote_right"),
    (DATE, None, "text"),
    (NUMBER, None, "text"),
    (FRAC, None, "frac"),
    (TBSPEC, None, "amp"),
    (THING3, None, "text"),
    (DOLSIGN, None, "text"),
    (ACRONYM, f"{SPACENLS}{ACRONYM_NEXT}{SPACENL}", "acronym_final"),
    (ABBREV3, f"{SPACENL}?[0-9]", "text"),
    (_ci("pt") + "[eyEY]" + r"\.|" + _ci("co") + r"\.", SPACE + _ci("ltd|lim"), "text"),
    (ABBREV1, SENTEND, "abbrev_final"),
    (ABBREV1, r"[\s\S][\s\S]", "text"),
    (ABBREV1, None, "abbrev_final"),
    (ABBREV2, None, "text"),
    (ABBREV4, SPACE, "text"),
    (ACRO, SPACENL, "text"),
    (TBSPEC2, SPACENL, "text"),
    (FILENAME, f"(?:{SPACENL}|[.?!,])", "text"),
    (WORD + r"\.", INSENTP, "text"),
    (PHONE, None, "phone"),
    (DBLQUOT, "[A-Za-z0-9$]", "quote_left"),
    (DBLQUOT, None, "quote_right"),
    ("\x7f", None, "skip"),
    ("<|" + _ci("&lt;"), None, "lt"),
    (">|" + _ci("&gt;"), None, "gt"),
    (SMILEY, "[^A-Za-z0-9]", "parens"),
    (ASIANSMILEY, None, "parens"),
    (r"\{", None, "-LCB-"),
    (r"\}", None, "-RCB-"),
    (r"\[", None, "-LSB-"),
    (r"\]", None, "-RSB-"),
    (r"\(", None, "-LRB-"),
    (r"\)", None, "-RRB-"),
    (r"\-+", None, "hyphens"),
    (LDOTS, None, "..."),
    (FNMARKS, None, "text"),
    (ASTS, None, "text"),
    (INSENTP, None, "text"),
    ("[?!]+", None, "text"),
    (r"\.", None, "text"),
    ("=", None, "text"),
    ("/", None, "text"),
    (HTHING + r"\.", INSENTP, "text"),
    (HTHING, None, "text"),
    (THING + r"\.", INSENTP, "text"),
    (THING, None, "text"),
    (THINGA + r"\.", INSENTP, "amp"),
    (THINGA, None, "amp"),
    ("'", "[A-Za-z][^ \t\n\r]", "quote_left"),
    (REDAUX, None, "quote_right"),
    (SREDAUX, None, "quote_right"),
    (QUOTES, None, "quote_right"),
    ("<<|>>", None, "text"),
    (MISCSYMBOL, None, "text"),
    ("\x00|" + SPACES, None, "skip"),
    (NEWLINE, None, "newline"),
    (_ci("&nbsp;"), None, "skip"),
    ("[^\n]", None, "delete"),
]
