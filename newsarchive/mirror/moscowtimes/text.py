"""Seeded English news prose, and its HTML rendering with the quirks a cleaner must undo.

Text is generated as clean strings first (that is the ground truth); ``render_inline`` then
turns a clean string into HTML the way a CMS would: entities, inline tags, non-breaking
spaces, soft hyphens, zero-width spaces, decomposed accents and wrapped source lines. Whatever
it does, ``clean_text(html_text_of(render_inline(s)))`` gives back ``s`` (``clean_text`` is
the mirrors' shared text contract, in ``newsarchive.mirror.text``).
"""

# ruff: noqa: RUF001 - typographic quotes are part of the text
from __future__ import annotations

import functools
import re
import unicodedata
from random import Random

from newsarchive.mirror.text import MARKUP, InlineStyle, TemplateText, ascii_slug, inline_html

# --- vocabulary ------------------------------------------------------------------------------

# fmt: off
FIRST_M = (
    "Sergei", "Dmitry", "Alexei", "Ivan", "Nikolai", "Pavel", "Mikhail", "Andrei", "Vladimir",
    "Boris", "Pyotr", "Fyodor", "Maxim", "Kirill", "Yegor", "Oleg", "Vadim", "Grigory",
    "Stanislav", "Timur", "Ruslan", "Artyom", "Yury", "Konstantin", "Lev", "Gleb",
)
FIRST_F = (
    "Anna", "Yelena", "Olga", "Maria", "Tatyana", "Irina", "Svetlana", "Yekaterina", "Natalya",
    "Ksenia", "Darya", "Alyona", "Yulia", "Polina", "Vera", "Lyudmila", "Galina", "Marina",
    "Sofia", "Zhanna", "Nadezhda", "Valeria",
)
SURNAMES = (
    "Ivanov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Lebedev", "Kozlov", "Novikov",
    "Morozov", "Volkov", "Orlov", "Belov", "Zaitsev", "Pavlov", "Semyonov", "Golubev",
    "Vinogradov", "Bogdanov", "Vorobyov", "Fyodorov", "Mikhailov", "Tarasov", "Belyakov",
    "Komarov", "Kiselyov", "Makarov", "Andreyev", "Kovalyov", "Ilyin", "Gusev", "Titov", "Kuzmin",
    "Kudryavtsev", "Baranov", "Kulikov", "Alexeyev", "Stepanov", "Yakovlev", "Sorokin", "Sergeyev",
    "Romanov", "Zakharov", "Borisov", "Korolyov", "Gerasimov", "Ponomaryov", "Grigoryev",
    "Lazarev", "Yershov", "Nikitin", "Sobolev", "Ryabov", "Polyakov", "Tsvetkov", "Danilov",
    "Zhukov", "Frolov", "Zhuravlyov", "Nikolayev", "Ostrovsky", "Zelinsky", "Kovalsky",
    "Rozhdestvensky",
)
FOREIGN_NAMES = (
    "John Miller", "Emma Schmidt", "Pierre Dubois", "José García", "Gérard Lefèvre",
    "Aigerim Nurlanova", "Giorgi Beridze", "Armen Sargsyan", "Olena Kovalenko", "Taras Shevchuk",
    "Hannah Fischer", "Jonas Petraitis", "Li Wei", "Mehmet Yılmaz", "Søren Nielsen",
)
ROLES = (
    "Foreign Minister", "Economy Minister", "Deputy Prime Minister", "Kremlin spokesperson",
    "State Duma deputy", "opposition politician", "regional governor", "human rights lawyer",
    "political analyst", "economist", "film director", "historian", "climate scientist",
    "Deputy Mayor", "Finance Minister", "sociologist",
)
CITIES = (
    "Moscow", "St. Petersburg", "Yekaterinburg", "Novosibirsk", "Kazan", "Krasnodar",
    "Vladivostok", "Kaliningrad", "Murmansk", "Tomsk", "Irkutsk", "Rostov-on-Don", "Belgorod",
    "Kursk", "Samara", "Ufa", "Perm", "Voronezh", "Omsk", "Chelyabinsk", "Yakutsk", "Sochi",
    "Makhachkala", "Grozny", "Nizhny Novgorod", "Arkhangelsk", "Khabarovsk", "Norilsk",
    "Pskov", "Tver", "Yaroslavl", "Barnaul",
)
UKR_CITIES = (
    "Kharkiv", "Kyiv", "Odesa", "Zaporizhzhia", "Kherson", "Bakhmut", "Avdiivka", "Pokrovsk",
    "Sumy", "Dnipro", "Kramatorsk", "Vuhledar",
)
FOREIGN_CITIES = (
    "Berlin", "Riga", "Vilnius", "Tbilisi", "Yerevan", "Almaty", "Bishkek", "Belgrade",
    "Istanbul", "Tel Aviv", "Prague", "Warsaw", "Helsinki", "Dubai", "Astana", "Zürich",
    "São Paulo", "Limassol",
)
REGIONS = (
    "the Belgorod region", "the Kursk region", "Dagestan", "Chechnya", "Tatarstan", "Yakutia",
    "Bashkortostan", "the Krasnodar region", "the Leningrad region", "Buryatia", "Tuva",
    "the Khabarovsk region", "the Murmansk region", "Karelia", "the Altai Republic",
)
COUNTRIES = (
    "the United States", "Germany", "China", "Turkey", "Kazakhstan", "Armenia", "Georgia",
    "India", "France", "Finland", "Serbia", "Japan", "Iran", "Brazil", "Moldova",
)
ORGS = (
    "Gazprom", "Rosneft", "Sberbank", "VTB", "Lukoil", "Aeroflot", "Yandex", "Novatek", "Rostec",
    "Russian Railways", "the Central Bank", "the Finance Ministry", "the Defense Ministry",
    "the Justice Ministry", "the Federal Security Service (FSB)", "Roskomnadzor",
    "the Levada Center", "the Prosecutor General’s Office", "the Investigative Committee",
    "OVD-Info", "the Higher School of Economics", "Norilsk Nickel", "Magnit", "Wildberries",
    "Ozon", "Rosstat", "Moscow City Hall", "the Bolshoi Theater", "the Tretyakov Gallery",
    "the Hermitage Museum",
)
WESTERN_COS = (
    "Procter & Gamble", "Marks & Spencer", "Johnson & Johnson", "H&M", "Ernst & Young", "AT&T",
)
TOPICS = (
    "the new internet law", "sanctions on oil exports", "the federal budget",
    "mortgage subsidies", "military recruitment", "the heating season", "the ban on VPN services",
    "the mobilization drive", "the grain corridor", "fuel prices", "migrant labor rules",
    "the school history curriculum", "the presidential election", "the wildfire season",
    "the Arctic shipping route", "the new tax on exporters", "the shortage of truck drivers",
    "rising egg prices", "the slowdown of YouTube", "the exit tax for emigrants",
    "the ruble’s slide", "the draft law on foreign agents", "the pension reform",
    "the import ban on Western cars", "the new rules for migrants", "the metro expansion",
)
TOPICS_T = (
    "Internet Law", "Oil Export Curbs", "Budget Deficit", "Mortgage Subsidies",
    "Army Recruitment", "Heating Bills", "VPN Ban", "Grain Exports", "Fuel Prices",
    "Migrant Labor", "History Textbooks", "Wildfires", "Arctic Shipping", "Exporter Tax",
    "YouTube Slowdown", "Exit Tax", "Ruble Slide", "Egg Prices", "Drone Attacks",
    "Power Outages", "Water Shortages", "Teacher Salaries", "Car Imports", "Gold Reserves",
    "Wheat Harvest", "Tourism Boom", "Metro Expansion", "Theater Censorship", "Book Bans",
    "Labor Shortages",
)
NOUNS = (
    "budget", "housing", "energy", "grain", "pension", "transport", "water", "school", "border",
    "media", "labor", "tax", "tourism", "heating", "recruitment", "censorship", "migration",
    "election", "health", "pipeline",
)
ACTIONS_T = (
    "Ease Tensions in the Black Sea", "Return Frozen Assets", "Resume Grain Talks",
    "Lift Visa Curbs", "Stop Arms Deliveries", "Reopen Consulates", "Drop Trade Tariffs",
    "Release Detained Journalists",
)
ACTIONS = (
    "return frozen Russian assets", "resume talks on grain exports", "lift visa restrictions",
    "stop weapons deliveries to Kyiv", "reopen its consulate in {city}",
    "drop tariffs on Russian fertilizer",
)
EVENTS_T = ("Clashes", "Floods", "Fire", "Bus Crash", "Drone Strike", "Blast", "Heat Wave")
ROLES_T = (
    "Activist", "Journalist", "Teacher", "Blogger", "Priest", "Poet", "Student", "Doctor",
    "Artist", "Lawyer", "Scientist", "Musician",
)
OFFENSES_T = (
    "Anti-War Posts", "‘Fake News’", "Donations to Kyiv", "Treason", "‘Extremism’",
    "Online Comments", "a Song", "a Pacifist Poem",
)
SECTORS_T = ("Economy", "Regions", "Middle Class", "Army", "Banks", "Farmers", "Pensioners")
GOODS = (
    "eggs", "butter", "potatoes", "gasoline", "cars", "medicines", "apartments", "flights",
    "coffee", "sugar", "cucumbers", "school uniforms",
)
CYRILLIC = (
    "Всё будет хорошо", "Нет войне", "Своих не бросаем", "Мы вместе", "Ёлки-палки",
    "Жизнь продолжается", "Москва слезам не верит", "Вперёд, Россия", "Берёзовая роща",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
STREETS = ("Tverskaya", "Nikolskaya", "Pokrovka", "Myasnitskaya", "Arbat", "Lenin", "Pushkin")
UNIVERSITIES = (
    "Moscow State University", "the European University", "the Higher School of Economics",
    "Kazan Federal University", "Tomsk State University",
)
ARTISTS = (
    "Kazimir Malevich", "Natalia Goncharova", "Wassily Kandinsky", "Ilya Repin", "Marc Chagall",
    "Valentin Serov", "Zinaida Serebriakova", "Arkhip Kuindzhi",
)
VENUES = ("Tretyakov Gallery", "Pushkin Museum", "Hermitage", "Garage Museum", "Russian Museum")
ACCENTED = ("café", "résumé", "Élysée Palace", "naïve", "déjà vu", "Pokémon")

SENTENCES = (
    "{P} said on {day} that {topic} would be reviewed by the end of {month}.",
    "The decision came after weeks of pressure from {org}, according to two people familiar "
    "with the matter.",
    "“We are not going to wait for {country} to make up its mind,” {p} told reporters in {city}.",
    "Police in {city} detained at least {n} people during protests over {topic}, the monitoring "
    "group OVD-Info said.",
    "{org} said it would support the initiative, which is expected to cost around {big}.",
    "In a newsletter sent to investors on {day}, {org} warned that {topic} could weigh on "
    "earnings.",
    "Those who read more closely, {p} argued, would see that {topic} had been planned for years.",
    "The Justice Ministry designated {p} a “foreign agent” on {day}, a label that carries "
    "burdensome reporting requirements.",
    "Prosecutors declared the group an “undesirable” organization in {month}, making "
    "participation in its activities a criminal offense.",
    "{p} — who has lived in {city} since {year} — declined to comment.",
    "According to Rosstat, prices for {goods} rose {pct} year-on-year in {month}.",
    "The ruble weakened to {rate} against the U.S. dollar on {day}.",
    "Residents of {city} said they had not been warned in advance about {topic}.",
    "A spokesperson for {org} did not respond to a request for comment.",
    "{P} called on {country} to {action}.",
    "The State Duma passed the bill in its third reading on {day}, with {n} deputies voting in "
    "favor.",
    "Local media in {region} reported that drones had struck an oil depot near {city} overnight.",
    "Ukraine’s military said its forces had pushed back Russian troops near {ukr}.",
    "Analysts at {org} expect inflation to slow to {pct} by the end of the year.",
    "Critics say {topic} is part of a wider crackdown on dissent that has intensified since "
    "{year}.",
    "The café on {street} Street, a favorite of local students, closed its doors in {month}.",
    "Visitors to the exhibition in {city} can see more than {n} works by {artist}, many of them "
    "never shown before.",
    "The campaign’s slogan — «{cyr}» — appeared on billboards across {city}.",
    "{p} thanked the volunteers who had helped to support families in {city} through the winter.",
    "The film, known in Russian as «{cyr}», premiered at a festival in {fcity} in {month}.",
    "Temperatures in {city} dropped to minus {n} degrees Celsius, the lowest in {n2} years.",
    "Environmental activists say the thawing of permafrost in {region} has accelerated.",
    "{co} and other Western companies have scaled back their operations in Russia since {year}.",
    "A court in {city} sentenced {p} to {n2} years in a penal colony on charges of "
    "“discrediting” the army.",
    "Under the new rules, anyone who wants to donate to a foreign organization must first "
    "register with the authorities.",
    "Subscribers to the service will pay {n} rubles a month starting in {month}, {org} said.",
    "{org} reported a net profit of {big} for the first half of the year.",
    "The governor of {region}, {p}, said the situation was “under control.”",
    "Many emigrants who left for {fcity} after {year} say they have no plans to return.",
    "The lecture, delivered at {univ} in {city}, drew an audience of several hundred people.",
    "The Kremlin has repeatedly denied any involvement in {topic}.",
    "{p} met French diplomats at the Élysée Palace in {month} to discuss {topic}.",
    "The résumé of the new deputy minister includes stints at {org} and {org2}.",
    "Footage shared on Telegram showed smoke rising over {city} on {day} morning.",
    "Users said the privacy policy of the app had been changed without notice in {month}.",
    "{p} urged supporters to contribute to a fund for political prisoners in {region}.",
    "The exhibition at the {venue} will remain open until {month}, organizers said.",
    "“Dear friends, we will meet again,” {p} wrote in a farewell letter published on Telegram.",
    "The agreement was signed in {fcity} in the presence of {P}.",
    "Some {n}00 households in {region} were left without electricity after the storm.",
    "{P} insisted that the economy had adapted to sanctions and that {topic} was not a concern.",
    "Flights between {city} and {fcity} were canceled for a second day, Aeroflot said.",
    "Regional authorities said they would spend {big} on repairs to schools in {region}.",
    "Officials in {city} blamed the outage on a “technical failure” at a local substation.",
    "The bill, drafted by {P}, would require bloggers with more than {n},000 followers to "
    "register.",
    "{p}, who runs a small bakery in {city}, said her costs had risen {pct} since {month}.",
    "Speaking at a forum in {city}, {P} said Russia’s economy would grow by {pct} this year.",
    "The new rules take effect on {month} 1, according to a decree signed by the president.",
    "{country}’s embassy in Moscow said it was “closely following” the case of {p}.",
    "Satellite images published by {org} showed new construction near {city}.",
    "Sales of {goods} in {region} fell by {pct} compared with the same period last year.",
    "Read more than a few of {p}’s essays and a pattern emerges: {topic} is never far away.",
    "The ministry said it would support farmers in {region} with subsidies worth {big}.",
    "Audiences in {city} gave the production a standing ovation that lasted {n} minutes.",
    "The naïve hope that {topic} would be forgotten quickly faded, {p} said.",
)
CAPTIONS = (
    "A view of {city} in {month}.", "Police officers detain a protester in central {city}.",
    "{P} at a press conference in {city}.", "Residents clear snow in {city}.",
    "A Russian soldier near {ukr}.", "The State Duma building in Moscow.",
    "Visitors at an exhibition of {artist} in {city}.", "An oil refinery outside {city}.",
    "A market in {city}.", "Firefighters at the scene in {region}.",
)
CREDITS = (
    "Kremlin.ru", "Maxim Shemetov / Reuters", "Sergei Karpukhin / TASS", "Mos.ru",
    "Wikicommons", "Yevgeny Razumny / Vedomosti", "Pexels", "Unsplash", "Social media",
    "Telegram", "Denis Grishkin / Moskva News Agency", "Sergei Bobylev / TASS",
)
TITLES = (
    "{p} Calls on {country_t} to {action_t}",
    "At Least {n} Die in {city} {event_t}",
    "{company} Posts Record Profit Despite {topic_t}",
    "{city} Court Jails {role_t} for {n2} Years Over {offense_t}",
    "Russia Sees {n2}-Year Record in {topic_t}",
    "Kremlin Says {topic_t} ‘Not on the Agenda’",
    "Drones Strike Oil Depot in {city}, Governor Says",
    "{n2} Things to Do in {city} This Weekend",
    "What {topic_t} Means for Russia’s {sector_t}",
    "Why {topic_t} Won’t Save the Kremlin",
    "In {city}, Row Over {topic_t} Divides Residents",
    "{p} Named New Head of {org_t}",
    "{city} Theater Cancels Play by {p}",
    "{country_t} Expels {n2} Russian Diplomats",
    "{artist} Retrospective Opens at the {venue}",
    "Russian Emigrants in {fcity} Struggle With {topic_t}",
    "Permafrost Thaw Threatens {city} Homes",
    "{p} Detained in {city} Over {offense_t}",
    "{co} Sells Russian Business to Local Managers",
    "Ukraine Says It Repelled Attack Near {ukr}",
    "{topic_t} Hit {region_t} Hardest, Study Finds",
)
QUOTES = (
    "Nobody asked the people of {city} what they wanted.",
    "We will not let {topic} destroy what we have built over {n} years.",
    "Every family in {region} has felt the cost of {topic}.",
    "I never thought I would leave {city}, but I had no choice.",
    "There is no plan for {topic}, only improvisation from one month to the next.",
    "We are talking about {big} that simply disappeared.",
    "The real question is who will pay for {topic} in the end.",
    "History will judge us by what we did in {month}, not by what we said.",
    "Our audience in {city} has never been larger, and never more afraid.",
    "You cannot build an economy on {goods} and patriotism alone.",
)
COMPANIES = (
    "Gazprom", "Rosneft", "Sberbank", "VTB", "Lukoil", "Aeroflot", "Yandex", "Novatek",
    "Norilsk Nickel", "Magnit", "Wildberries", "Ozon", "Severstal", "Polyus", "MTS",
)
HEADINGS = (
    "{p}’s {noun} plan for {city}",
    "{n} days of the {noun} crisis in {city}",
    "How the {S} family in {city} lived through {month}",
    "What {p} told {org} about {topic}",
    "The {noun} gap between {city} and {city2}",
    "Why {p} left {city} for {fcity}",
)
TWEETS = (
    "Huge queues at the border crossing near {city} this morning.",
    "Explosions heard in {city} tonight, residents report.",
    "The new {noun} law has been published on the government portal.",
)

_FILLS: dict[str, tuple[str, ...]] = {
    "city": CITIES, "city2": CITIES, "ukr": UKR_CITIES, "fcity": FOREIGN_CITIES,
    "region": REGIONS, "country": COUNTRIES, "org": ORGS, "org2": ORGS, "topic": TOPICS,
    "topic_t": TOPICS_T, "noun": NOUNS, "action_t": ACTIONS_T, "event_t": EVENTS_T,
    "role_t": ROLES_T, "offense_t": OFFENSES_T, "sector_t": SECTORS_T, "goods": GOODS,
    "cyr": CYRILLIC, "day": DAYS, "month": MONTHS, "street": STREETS,
    "univ": UNIVERSITIES, "artist": ARTISTS, "venue": VENUES, "co": WESTERN_COS,
    "company": COMPANIES,
}
# fmt: on


def feminine(surname: str) -> str:
    """Russian surnames agree in gender: Ivanov -> Ivanova, Ostrovsky -> Ostrovskaya."""
    if surname.endswith("sky"):
        return surname[:-3] + "skaya"
    if surname.endswith(("ov", "ev", "in", "yn")):
        return surname + "a"
    return surname


class TextGen(TemplateText):
    """Fills English sentence templates from the word lists with one seeded generator."""

    SENTENCES = SENTENCES
    TITLES = TITLES
    HEADINGS = HEADINGS
    CAPTIONS = CAPTIONS

    def person(self) -> str:
        """A full name; mostly Russian, sometimes foreign (some with accents)."""
        r = self.rng
        if r.random() < 0.1:
            return r.choice(FOREIGN_NAMES)
        if r.random() < 0.5:
            return f"{r.choice(FIRST_F)} {feminine(r.choice(SURNAMES))}"
        return f"{r.choice(FIRST_M)} {r.choice(SURNAMES)}"

    def _slot(self, name: str) -> str:
        r = self.rng
        if name in _FILLS:
            return r.choice(_FILLS[name])
        if name == "p":
            return self.person()
        if name == "P":
            return f"{r.choice(ROLES)} {self.person()}"
        if name == "S":
            return r.choice(SURNAMES)
        if name == "n":
            return str(r.randint(2, 90))
        if name == "n2":
            return str(r.randint(2, 15))
        if name == "year":
            return str(r.randint(max(2000, self.year - 15), self.year - 1))
        if name == "big":
            return f"{r.randint(2, 900)} {r.choice(('million', 'billion'))} rubles"
        if name == "pct":
            return f"{r.randint(1, 40)}.{r.randint(0, 9)}%"
        if name == "rate":
            return f"{r.randint(60, 110)}.{r.randint(10, 99)} rubles"
        if name == "action":
            return self._fill(r.choice(ACTIONS))
        if name == "country_t":
            return r.choice(COUNTRIES).removeprefix("the ")
        if name == "org_t":
            return r.choice(ORGS).removeprefix("the ").split(" (")[0]
        if name == "region_t":
            return r.choice(REGIONS).removeprefix("the ").title()
        raise KeyError(name)

    def credits(self) -> str:
        return self.rng.choice(CREDITS)

    def tweet(self) -> str:
        return self.fill(self.rng.choice(TWEETS))

    def quote(self) -> str:
        """An in-body pull quote: the words of a named person."""
        words = self.fill(self._fresh(QUOTES))
        person = self.person()
        if self.rng.random() < 0.5:
            return f"“{words}” — {person}"
        return f"“{words[:-1]},” said {person}."


# --- HTML rendering --------------------------------------------------------------------------

STYLE = InlineStyle(
    entities={
        "’": ("’", "&#8217;", "&rsquo;"),
        "‘": ("‘", "&#8216;", "&lsquo;"),
        "“": ("“", "&ldquo;", "&#8220;"),
        "”": ("”", "&rdquo;", "&#8221;"),
        "—": ("—", "&mdash;", "&#8212;"),
        "«": ("«", "&laquo;"),
        "»": ("»", "&raquo;"),
        "&": ("&amp;", "&amp;", "&#38;"),
        **MARKUP,
    },
    long_word=re.compile(r"(?<![&#\w])[A-Za-z]{9,}"),
    hyphen_margin=3,
    number_space=re.compile(r"(?<!\S)(\d[\d.,]*(?<![.,])%?) "),
    line_break="\n      ",
    zero_width_rate=0.1,
)
"""The site CMS's inline HTML: named and numeric entities, indented wrapped lines."""
_NON_ASCII_WORD = re.compile(r"\S*[^\x00-\x7f]\S*")


def render_inline(
    text: str, rng: Random, *, quirks: bool = True, links: tuple[str, ...] = ()
) -> str:
    """Clean text -> inline HTML whose normalised text is exactly ``text``.

    With ``quirks``, half the words with accents are decomposed (NFD) first; then the shared
    rendering in this site's style (``newsarchive.mirror.text.inline_html``).
    ``links`` are hrefs available for inline ``<a>`` tags; ``<em>``/``<strong>`` need none.
    """
    if quirks and not text.isascii():
        text = _NON_ASCII_WORD.sub(
            lambda m: unicodedata.normalize("NFD", m.group()) if rng.random() < 0.5 else m.group(),
            text,
        )
    return inline_html(text, rng, STYLE, quirks=quirks, links=links)


@functools.lru_cache(maxsize=8192)
def slugify(text: str) -> str:
    """ASCII slug as the CMS makes it: accents dropped, apostrophes removed, dashes between."""
    return ascii_slug(text, drop="'")
