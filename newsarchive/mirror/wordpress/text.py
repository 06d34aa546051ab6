"""Seeded German local-news prose, and its HTML rendering as WordPress leaves it.

Text is generated as clean strings (the ground truth); ``render_inline`` turns one into the
HTML ``wptexturize`` and the editors leave: German quotes and dashes as numeric entities
(``&#8222;`` ``&#8220;`` ``&#8211;`` ``&#8230;``), ``&nbsp;`` after numbers, a soft hyphen in
a long compound, ``<em>``/``<strong>``/``<a>`` around a few words, wrapped source lines.
Whatever it does, ``clean_text(text_of(render_inline(s)))`` gives back ``s`` (``clean_text``
is the mirrors' shared text contract, in ``newsarchive.mirror.text``).

Some sentences use the words of the site furniture ("Newsletter", "Cookies", "Spenden",
"unterstützen", "Datenschutz"): a cleaner that drops every paragraph with such a word loses
article text.
"""

# ruff: noqa: RUF001 - typographic quotes are part of the text
from __future__ import annotations

import re
import unicodedata
from random import Random

from newsarchive.mirror.text import MARKUP, InlineStyle, TemplateText, ascii_slug, inline_html

# fmt: off
FIRST = (
    "Anna", "Lena", "Julia", "Sabine", "Katrin", "Miriam", "Petra", "Jana", "Sophie", "Ute",
    "Claudia", "Birgit", "Franziska", "Hannah", "Elif", "Marie", "Thomas", "Michael", "Stefan",
    "Andreas", "Jürgen", "Matthias", "Felix", "Jonas", "Lukas", "Tobias", "Martin", "Uwe",
    "Jörg", "Ralf", "Sebastian", "Malte", "Kemal", "Björn", "Sören", "Günter",
)
SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Krause", "Meier", "Lehmann", "Köhler", "Jäger", "Groß", "Weiß", "Vogt", "Öztürk",
    "Kaya", "Nowak", "Brandt", "Engel", "Sommer", "Seidel", "Haas", "Graf", "Dietrich", "Kühn",
)
TOWNS = (
    "Lindenau", "Markkleeberg", "Taucha", "Schkeuditz", "Markranstädt", "Borna", "Grimma",
    "Wurzen", "Delitzsch", "Eilenburg", "Zwenkau", "Böhlen", "Naunhof", "Brandis", "Machern",
    "Pegau", "Groitzsch", "Rötha", "Bad Düben", "Colditz", "Großpösna", "Kitzscher",
)
DISTRICTS = (
    "Plagwitz", "Connewitz", "Gohlis", "Schleußig", "Reudnitz", "Grünau", "Möckern",
    "Stötteritz", "Eutritzsch", "Paunsdorf", "Lößnig", "Anger-Crottendorf", "Volkmarsdorf",
    "Mockau", "Knautkleeberg", "Wahren", "Leutzsch", "Probstheida",
)
STREETS = (
    "Hauptstraße", "Karl-Heine-Straße", "Bahnhofstraße", "Lützner Straße", "Schillerstraße",
    "Georg-Schwarz-Straße", "Am Mühlgraben", "Lindenstraße", "Goethestraße", "Marktplatz",
    "Kirchweg", "Wiesenring", "Uferstraße", "Gartenstraße",
)
ORGS = (
    "der Stadtrat", "die Stadtverwaltung", "das Landratsamt", "die Verkehrsbetriebe",
    "der Sportverein", "die Feuerwehr", "die Polizeidirektion", "die Handwerkskammer",
    "die Industrie- und Handelskammer", "der Naturschutzbund", "die Verbraucherzentrale",
    "das Jobcenter", "die Sparkasse", "die Volkshochschule", "der Elternrat",
    "die Wohnungsgenossenschaft", "das Klinikum", "der Tierschutzverein", "die Tafel",
    "der Heimatverein", "das Umweltamt", "die Kita-Leitung",
)
ROLES = (
    "Bürgermeisterin", "Bürgermeister", "Stadträtin", "Stadtrat", "Ortsvorsteherin",
    "Ortsvorsteher", "Vereinsvorsitzende", "Vereinsvorsitzender", "Sprecherin der Stadt",
    "Sprecher der Polizei", "Schulleiterin", "Schulleiter", "Landrat", "Landrätin",
    "Geschäftsführerin", "Geschäftsführer", "Kämmerer", "Baubürgermeisterin",
)
TOPICS = (
    "den neuen Radweg", "die Sanierung der Grundschule", "den Haushaltsplan für 2025",
    "die Erweiterung des Gewerbegebiets", "den Ausbau der Straßenbahnlinie",
    "die Schließung des Hallenbads", "die Grundsteuerreform", "den Neubau der Kita",
    "die Parkgebühren in der Innenstadt", "das geplante Windrad", "die Ortsumgehung",
    "den Wochenmarkt", "die Müllgebühren", "den Hochwasserschutz", "das Stadtfest",
    "die Bürgerbeteiligung zum Bebauungsplan", "die neue Buslinie", "den Glasfaserausbau",
    "die Zukunft des Kulturhauses", "das Tempo-30-Konzept", "die Wärmeplanung",
    "den Lehrermangel", "den Ärztemangel auf dem Land", "die Sanierung der Brücke",
)
TOPICS_T = (
    "Radweg", "Grundschule", "Haushalt", "Gewerbegebiet", "Straßenbahn", "Hallenbad",
    "Grundsteuer", "Kita-Neubau", "Parkgebühren", "Windrad", "Ortsumgehung", "Wochenmarkt",
    "Müllgebühren", "Hochwasserschutz", "Stadtfest", "Bebauungsplan", "Buslinie",
    "Glasfaser", "Kulturhaus", "Tempo 30", "Wärmeplanung", "Lehrermangel", "Brückensanierung",
    "Spielplatz", "Freibad", "Bauernmarkt", "Feuerwache", "Stadtbibliothek",
)
VERBS_T = (
    "Streit um", "Neue Pläne für", "Einigung bei", "Kritik an", "Ärger über", "Entscheidung zu",
    "Mehr Geld für", "Verzögerung bei", "Durchbruch bei", "Fragen zu", "Proteste gegen",
    "Zuschuss für",
)
DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)
CLUBS = (
    "SV Lindenau 1848", "FC Grün-Weiß Taucha", "TSV Markkleeberg", "BSG Chemie Leipzig",
    "HC Wurzen", "SG Rotation Borna", "VfB Zwenkau", "Eintracht Grimma",
)

SENTENCES = (
    "{org_c} will bis {month} über {topic} entscheiden.",
    "Nach Angaben der Stadt kostet das Vorhaben rund {n} Millionen Euro.",
    "Am {day} hatten sich mehr als {big} Menschen vor dem Rathaus in {town} versammelt.",
    "{role_c} {p} sagte, man sei „auf einem guten Weg“, doch die Finanzierung sei noch offen.",
    "Die Bauarbeiten in der {street} sollen im {month} beginnen und etwa {n2} Monate dauern.",
    "Anwohnerinnen und Anwohner aus {district} kritisieren seit Jahren den Verkehrslärm.",
    "Laut einer Umfrage befürworten {pct} Prozent der Befragten {topic}.",
    "Der Ausschuss für Stadtentwicklung vertagte die Abstimmung über {topic} erneut.",
    "{p} vom Naturschutzbund warnt vor den Folgen für Vögel und Fledermäuse.",
    "Für Familien mit Kindern soll es künftig eine Ermäßigung von {n} Prozent geben.",
    "Ob der Zeitplan hält, ist unklar – die Ausschreibung läuft noch bis Ende {month}.",
    "Im vergangenen Jahr zählte die Polizei in {town} {big} Verkehrsunfälle.",
    "Die Fraktionen im Stadtrat sind sich über {topic} uneinig.",
    "Die Verwaltung verweist auf steigende Baupreise und fehlendes Personal.",
    "Bereits {year} hatte der Kreistag eine ähnliche Lösung beschlossen, sie aber nie umgesetzt.",
    "„Wir brauchen endlich Planungssicherheit“, sagte {p}.",
    "Der Verein sucht noch Ehrenamtliche, die beim Auf- und Abbau helfen.",
    "Die Sperrung der {street} sorgt seit {day} für lange Staus im Berufsverkehr.",
    "Die Feuerwehr war mit {n2} Fahrzeugen und rund {n} Einsatzkräften vor Ort.",
    "Verletzt wurde nach ersten Erkenntnissen niemand.",
    "Der Schaden wird auf etwa {n}.000 Euro geschätzt.",
    "Die Polizei sucht Zeugen, die am {day}abend in {district} etwas beobachtet haben.",
    "Im Gemeinderat von {town} stimmten {n2} Mitglieder dafür, drei dagegen.",
    "Die Stadtwerke kündigten an, die Preise für Fernwärme zum {month} zu senken.",
    "Wer sich beteiligen möchte, kann bis Ende {month} Hinweise einreichen.",
    "Gastgeber {club} gewann am {day} vor {big} Zuschauern mit {score}.",
    "Trainer {p} lobte nach dem Spiel vor allem die Abwehr.",
    "Die Ausstellung im Kulturhaus ist noch bis zum {n2}. {month} zu sehen.",
    "Der Eintritt ist frei, um Spenden für die Jugendarbeit wird gebeten.",
    "Viele Händlerinnen und Händler in der Innenstadt klagen über sinkende Umsätze.",
    "Die Bäckerei am {street} verkauft neben Brötchen inzwischen auch Cookies nach US-Rezept.",
    "Wer den Newsletter der Stadtverwaltung abonniert, erfährt von Sperrungen einen Tag früher.",
    "Die Initiative will vor allem ältere Menschen unterstützen, die allein leben.",
    "Der Datenschutzbeauftragte des Landes hatte die Videoüberwachung am Bahnhof beanstandet.",
    "Mit den Spenden aus dem Benefizlauf kauft der Förderverein neue Tablets für die Schule.",
    "Erst nach mehreren Sitzungen einigten sich die Beteiligten auf einen Kompromiss.",
    "Die Opposition wirft der Verwaltung vor, die Bürger zu spät informiert zu haben.",
    "Auf dem Gelände der ehemaligen Spinnerei in {district} sollen {n} Wohnungen entstehen.",
    "Ein Drittel davon soll als Sozialwohnungen vermietet werden.",
    "Die Kosten für {topic} haben sich seit {year} fast verdoppelt.",
    "Ein Sprecher des Landratsamts bestätigte den Vorgang auf Anfrage.",
    "Zu den Einzelheiten wollte sich das Unternehmen mit Verweis auf laufende Gespräche "
    "nicht äußern.",
    "Der Bus der Linie {n2} fährt während der Bauzeit eine Umleitung über {district}.",
    "Die Schülerinnen und Schüler hatten die Aktion selbst organisiert.",
    "Am Wochenende werden Temperaturen von bis zu {n2} Grad erwartet.",
    "Die Ernte fiel in diesem Jahr wegen der Trockenheit deutlich geringer aus.",
    "Rund {pct} Prozent der Haushalte in {town} sind inzwischen an das Glasfasernetz "
    "angeschlossen.",
    "Die Bürgerinitiative hat nach eigenen Angaben {big} Unterschriften gesammelt.",
    "Das Gericht wies die Klage der Anwohner in erster Instanz ab.",
    "Eine Entscheidung wird frühestens im {month} erwartet.",
    "Die Kita in {district} bleibt wegen eines Wasserschadens vorerst geschlossen.",
    "Die Eltern wurden per Brief über die Übergangslösung informiert.",
    "Die Sanierung des denkmalgeschützten Gebäudes gilt als besonders aufwendig.",
    "Für das Stadtfest rechnen die Veranstalter mit mehr als {big} Gästen.",
    "Auch die Partnerstadt schickt in diesem Jahr wieder eine Delegation.",
    "Mehrere Gastronomen aus {town} haben sich zusammengeschlossen, um Personal auszubilden.",
    "Die Zahl der Ausbildungsplätze im Handwerk ist im Vergleich zu {year} gestiegen.",
    "Der Vorschlag stieß bei den Grünen auf Zustimmung, die CDU lehnte ihn ab.",
    "Die SPD-Fraktion fordert eine unabhängige Prüfung der Kosten.",
    "Die Linke sprach von einem „Schlag ins Gesicht“ der Beschäftigten.",
    "Die FDP verwies auf die angespannte Haushaltslage der Stadt.",
    "Die Straßenbahn soll künftig im Zehn-Minuten-Takt bis nach {town} fahren.",
    "Bis dahin müssen aber noch {n} Bäume gefällt und Leitungen verlegt werden.",
    "Die Apotheke an der {street} schließt nach {n} Jahren zum Monatsende.",
    "Einen Nachfolger hat die Inhaberin trotz langer Suche nicht gefunden.",
    "Die Stadtbibliothek verlängert ab {month} ihre Öffnungszeiten am Samstag.",
    "Im Herbst soll eine Bürgerversammlung über {topic} stattfinden.",
    "Die Einnahmen aus der Gewerbesteuer lagen zuletzt bei {n} Millionen Euro.",
    "Ein Großteil des Geldes fließt in die Sanierung von Schulen und Turnhallen.",
    "Auf Nachfrage räumte die Verwaltung Versäumnisse bei der Planung ein.",
    "Die Tafel in {town} versorgt inzwischen rund {big} Menschen pro Woche.",
    "Der Andrang sei größer als je zuvor, sagte {p} von der Tafel.",
)
_FIXED = frozenset(s for s in SENTENCES if "{" not in s)
_SLOTTED = tuple(s for s in SENTENCES if "{" in s)
TITLES = (
    "{verb_t} {topic_t} in {town}",
    "{topic_t}: {org_t} legt neue Zahlen vor",
    "{town}: {verb_t} {topic_t}",
    "{topic_t} in {district} – wie geht es weiter?",
    "„{quote_t}“: {verb_t} {topic_t}",
    "{club} siegt im Derby gegen {club2}",
    "{verb_t} {topic_t}: Stadtrat vertagt Entscheidung",
    "{topic_t} kostet {n} Millionen Euro mehr als geplant",
    "{district}: Anwohner wehren sich gegen {topic_t}-Pläne",
    "Was Sie über {topic_t} in {town} wissen müssen",
)
QUOTES_T = (
    "Das ist ein guter Tag", "Wir lassen uns nicht abspeisen", "Es fehlt an allen Ecken",
    "So kann es nicht weitergehen", "Endlich passiert etwas", "Wir sind enttäuscht",
)
HEADINGS = (
    "Kosten steigen weiter", "Wie es jetzt weitergeht", "Kritik aus der Opposition",
    "Anwohner fordern Mitsprache", "Was die Stadt plant", "Ein Blick zurück",
    "Die Finanzierung ist offen", "Zeitplan wackelt", "Was Eltern wissen müssen",
    "Stimmen aus {district}", "Reaktionen aus dem Stadtrat", "Die nächsten Schritte",
    "Hintergrund: {topic_t} in {town}",
)
CAPTIONS = (
    "Die {street} in {town} am {day}.", "Blick auf das Rathaus von {town}.",
    "{role_c} {p} bei der Sitzung am {day}.", "Baustelle in {district}.",
    "Besucher beim Stadtfest in {town}.", "Die Feuerwehr im Einsatz in {district}.",
    "Das Gelände der ehemaligen Spinnerei in {district}.",
)
QUOTE_TEXTS = (
    "Wir haben lange genug gewartet, jetzt muss die Stadt liefern.",
    "Niemand hier ist gegen den Radweg, aber nicht auf Kosten der Bäume.",
    "Für die Kinder ist das eine enorme Belastung.",
    "Ohne das Ehrenamt würde in unserem Ort gar nichts laufen.",
    "Wir werden jeden Euro zweimal umdrehen müssen.",
    "Das Geld ist da, es fehlt nur am politischen Willen.",
)
CREDITS = (
    "dpa", "Archiv", "privat", "Stadt Lindenau", "Polizei", "Pixabay", "LR", "Verein",
)
# fmt: on


_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def slugify(text: str) -> str:
    """``sanitize_title`` under a de_DE locale: umlauts to ae/oe/ue, ß to ss, dashes between."""
    return ascii_slug(text.translate(_GERMAN).replace("ß", "ss"))


class TextGen(TemplateText):
    """Fills German sentence templates from the word lists with one seeded generator."""

    SENTENCES = SENTENCES
    TITLES = TITLES
    HEADINGS = HEADINGS
    CAPTIONS = CAPTIONS
    FRESH_TRIES = 8

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(SURNAMES)}"

    def _slot(self, name: str) -> str:
        r = self.rng
        simple = {
            "town": TOWNS,
            "district": DISTRICTS,
            "street": STREETS,
            "topic": TOPICS,
            "topic_t": TOPICS_T,
            "verb_t": VERBS_T,
            "day": DAYS,
            "month": MONTHS,
            "club": CLUBS,
            "club2": CLUBS,
            "quote_t": QUOTES_T,
        }
        if name in simple:
            return r.choice(simple[name])
        if name == "p":
            return self.person()
        if name == "org_c":
            org = r.choice(ORGS)
            return org[0].upper() + org[1:]
        if name == "org_t":
            org = r.choice(ORGS).split(" ", 1)[1]
            return org[0].upper() + org[1:]
        if name == "role_c":
            return r.choice(ROLES)
        if name == "n":
            return str(r.randint(2, 95))
        if name == "n2":
            return str(r.randint(2, 28))
        if name == "big":
            return (
                f"{r.randint(1, 9)}.{r.randint(0, 999):03d}"
                if r.random() < 0.5
                else str(r.randint(120, 990))
            )
        if name == "pct":
            return f"{r.randint(8, 91)},{r.randint(0, 9)}"
        if name == "year":
            return str(r.randint(max(2005, self.year - 12), self.year - 1))
        if name == "score":
            return f"{r.randint(0, 5)}:{r.randint(0, 4)}"
        raise KeyError(name)

    def paragraph(self) -> list[str]:
        """A paragraph as its 2-5 sentences, one at least with filled-in slots (so that
        paragraphs do not recur across articles)."""
        sentences = super().paragraph()
        if not any(s not in _FIXED for s in sentences):
            sentences[-1] = self.fill(self.rng.choice(_SLOTTED))
        return sentences

    def title(self) -> str:
        title = super().title()
        while any(title.count(club) > 1 for club in CLUBS):  # no derby against itself
            title = super().title()
        return title

    def quote(self) -> str:
        """A pull quote: „Words“, sagt Name."""
        return f"„{self.rng.choice(QUOTE_TEXTS).removesuffix('.')}“, sagt {self.person()}."

    def credit(self) -> str:
        r = self.rng
        return r.choice(CREDITS) if r.random() < 0.5 else self.person()


# --- HTML rendering --------------------------------------------------------------------------

STYLE = InlineStyle(
    entities={
        "„": ("„", "&#8222;", "&#8222;", "&bdquo;"),
        "“": ("“", "&#8220;", "&#8220;", "&ldquo;"),
        "–": ("–", "&#8211;", "&#8211;", "&ndash;"),
        "…": ("…", "&#8230;", "&hellip;"),
        "’": ("’", "&#8217;"),
        "&": ("&amp;", "&#038;"),
        **MARKUP,
    },
    long_word=re.compile(r"(?<![&#\w])[A-Za-zäöüß]{12,}"),
    hyphen_margin=4,
    number_space=re.compile(r"(?<!\S)(\d[\d.,:]*(?<![.,])) "),
    line_break="\n",
)
"""``wptexturize`` and the editors: numeric entities mostly, plain wrapped lines."""


def render_inline(
    text: str, rng: Random, *, quirks: bool = True, links: tuple[str, ...] = ()
) -> str:
    """Clean text -> inline HTML whose normalised text is exactly ``text``."""
    if quirks and rng.random() < 0.15:
        text = unicodedata.normalize("NFD", text)  # copied from a word processor
    return inline_html(text, rng, STYLE, quirks=quirks, links=links)
