"""Links a reporter types, normalised to a safe https URL, and the platform a host belongs to.

``link`` takes one token (no spaces) and returns where the link ends, its normalised form and
its platform, or None when the token is not a link. Schemes other than http(s) are never
links. Pure stdlib and total.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import quote

MAX_ITEM = 300  # characters per item; longer values are cut


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Host suffixes per platform ("michat" anywhere in the host is MiChat, checked first).
_PLATFORM_DOMAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("whatsapp", ("wa.me", "whatsapp.com")),
    ("telegram", ("t.me", "telegram.me", "telegram.org", "telegram.dog")),
    ("x", ("x.com", "twitter.com", "t.co")),
    ("facebook", ("facebook.com", "fb.com", "fb.me", "m.me", "fb.watch", "messenger.com")),
    ("instagram", ("instagram.com", "instagr.am", "ig.me")),
    ("tiktok", ("tiktok.com",)),
)
# Without a scheme, "word.word" is only a link when the last label is a TLD people actually
# meet in links: "Open.BO" or "kak.tolong" typed in a sentence must stay text.
_BARE_TLDS = words(
    "com net org info biz xyz online site top club live link app dev page store shop vip icu "
    "fun space website pro asia mobi tk ml ga cf gq watch social chat id my sg ph th vn in me "
    "to co io ly gg cc tv ws la us uk au jp kr cn hk tw ru de nl fr eu ai am fm be ch it es "
    "br"
)
_DROP_HOST_PREFIXES = ("www.", "m.", "mobile.")
_TRACKING = words("igsh igshid fbclid si s feature ref _t _r is_from_webapp sender_device mibextid")
# Schemes that are URLs of something other than the web; "label:" prefixes such as "IG:" or
# "Link:" glued to a link are anything else.
_OTHER_SCHEMES = words(
    "javascript vbscript data file tg mailto tel sms intent about blob ftp ws wss chrome "
    "whatsapp fb instagram tiktok twitter market itms content filesystem view-source"
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[0-9]{1,5}")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "=%:@!$'()*+,;/?-._~"
# Candidate link tokens; commas and semicolons separate items ("t.me/a,t.me/b").
TOKEN = re.compile(r"[^\s,;]+")
LEAD = "([{<\"'`“‘«„"
TRAIL = ".,!?:;)]}>\"'`”’»…"


def _platform_of(host: str) -> str | None:
    if "michat" in host:
        return "michat"
    for platform, domains in _PLATFORM_DOMAINS:
        if any(host == d or host.endswith("." + d) for d in domains):
            return platform
    return None


def _ascii_host(host: str) -> str | None:
    """The lower-case ASCII (punycode) form of ``host``, or None if it is not a host name."""
    host = host.rstrip(".")
    if not host or len(host) > 253:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            return None
    host = host.lower()
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def _cut_url(value: str) -> str:
    if len(value) <= MAX_ITEM:
        return value
    # Leave neither half a percent-escape nor half a UTF-8 character at the cut.
    value = re.sub(r"%[0-9A-Fa-f]?$", "", value[:MAX_ITEM])
    escapes = re.search(r"(?:%[0-9A-Fa-f]{2})+$", value)
    if escapes:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        decoder.decode(bytes.fromhex(escapes.group().replace("%", "")))
        pending = len(decoder.getstate()[0])  # bytes of an unfinished character
        if pending:
            value = value[: len(value) - 3 * pending]
    return value


def _buildlink(rest: str, *, bare: bool) -> tuple[str, str | None] | None:
    """``rest`` is what follows ``https://`` (or the whole token when ``bare``)."""
    rest = rest.split("#", 1)[0]
    rest, _, query = rest.partition("?")
    hostport, slash, path = rest.partition("/")
    if any(c in hostport for c in "@\\%"):  # userinfo ("t.me@evil.com") or tricks: not a link
        return None
    host, colon, port = hostport.partition(":")
    if colon:
        if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
            return None
        port = "" if port in ("80", "443") else ":" + port
    original = host.lower()
    host = _ascii_host(host)
    if host is None:
        return None
    labels = host.split(".")
    tld = labels[-1]
    ipv4 = len(labels) == 4 and all(label.isdigit() and int(label) < 256 for label in labels)
    if bare:
        known = _platform_of(host) is not None
        if not known and tld not in _BARE_TLDS and not original.startswith("www."):
            return None
    if not ipv4 and not ((tld.isalpha() and len(tld) >= 2) or tld.startswith("xn--")):
        return None
    if not ipv4:
        changed = True
        while changed:
            changed = False
            for prefix in _DROP_HOST_PREFIXES:
                if host.startswith(prefix) and "." in host[len(prefix) :]:
                    host, changed = host[len(prefix) :], True
    if host == "twitter.com":
        host = "x.com"
    path = quote(slash + path, safe=_PATH_SAFE).rstrip("/")
    kept = []
    for piece in query.split("&"):
        key = piece.split("=", 1)[0].lower()
        if piece and key and not key.startswith("utm_") and key not in _TRACKING:
            kept.append(quote(piece, safe=_QUERY_SAFE))
    value = "https://" + host + port + path + ("?" + "&".join(kept) if kept else "")
    return _cut_url(value), _platform_of(host)


def link(token: str, depth: int = 0) -> tuple[int, str, str | None] | None:
    """(offset of the link in ``token``, normalised URL, platform), or None."""
    m = _SCHEME.match(token)
    if m and "." not in m.group(1):
        scheme, rest = m.group(1).lower(), token[m.end() :]
        if scheme in ("http", "https"):
            found = _buildlink(rest.lstrip("/"), bare=False)
            return None if found is None else (0, *found)
        if depth or rest.startswith("//") or scheme in _OTHER_SCHEMES:
            return None
        # A label glued to the link: "IG:instagram.com/abc", "Link:https://t.me/abc".
        inner = link(rest, depth + 1)
        return None if inner is None else (m.end() + inner[0], inner[1], inner[2])
    found = _buildlink(token, bare=True)
    return None if found is None else (0, *found)
