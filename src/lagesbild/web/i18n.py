"""Swedish by default, English by choice: every text of the pages, and numbers and dates in the
reader's locale ("12,5 ha" in Swedish, "12.5 ha" in English).

The language comes from the query (`?lang=en`, which the page then keeps in a `lang` cookie),
else the cookie, else Swedish. Messages are keyed; a missing key shows the key itself, and a
test checks that both languages have every key.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request

LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
LANG_COOKIE = "lang"

# key: (Swedish, English). Keys starting with "js." are sent to the page's scripts as well.
MESSAGES: dict[str, tuple[str, str]] = {
    "app.tagline": (
        "Gemensam lägesbild för platser och öppna drogscener",
        "A shared situational picture of places and open drug scenes",
    ),
    "nav.main": ("Huvudmeny", "Main menu"),
    "nav.map": ("Karta", "Map"),
    "nav.places": ("Platser", "Places"),
    "nav.report": ("Rapportera", "Report"),
    "nav.residents": ("Tipsa om en plats", "Tell us about a place"),
    "nav.moderate": ("Granska tips", "Moderate reports"),
    "nav.organisations": ("Aktörer och bemanning", "Organisations and roster"),
    "nav.cameras": ("Kameror", "Cameras"),
    "nav.guard_areas": ("Förordnandeområden", "Guard areas"),
    "nav.activation_events": ("Platsaktiveringar", "Activation events"),
    "nav.survey": ("Trygghetsmätning", "Safety survey"),
    "nav.audit": ("Loggbok", "Audit log"),
    "nav.import": ("Importera", "Import"),
    "nav.login": ("Logga in", "Sign in"),
    "nav.logout": ("Logga ut", "Sign out"),
    "nav.language": ("Språk", "Language"),
    "nav.skip": ("Hoppa till innehållet", "Skip to content"),
    "signed_in_as": ("Inloggad som {user} ({role}, {org})", "Signed in as {user} ({role}, {org})"),
    "public_view": (
        "Du ser det som är öppet för alla. Logga in för mer.",
        "You see what is open to everyone. Sign in for more.",
    ),
    "role.admin": ("administratör", "administrator"),
    "role.coordinator": ("samordnare", "coordinator"),
    "role.analyst": ("analytiker", "analyst"),
    "role.field_reporter": ("fältrapportör", "field reporter"),
    "role.viewer": ("läsare", "viewer"),
    # log-in
    "login.title": ("Logga in", "Sign in"),
    "login.username": ("Användarnamn", "User name"),
    "login.password": ("Lösenord", "Password"),
    "login.submit": ("Logga in", "Sign in"),
    "login.failed": ("Fel användarnamn eller lösenord.", "Wrong user name or password."),
    "login.throttled": (
        "För många misslyckade försök. Vänta en stund och försök igen.",
        "Too many failed attempts. Wait a while and try again.",
    ),
    "login.required": ("Fyll i fältet.", "Fill in this field."),
    "login.needed": ("Logga in för att se sidan.", "Sign in to see this page."),
    "forbidden.title": ("Ingen behörighet", "Not allowed"),
    "forbidden.text": (
        "Din roll får inte använda den här sidan.",
        "Your role may not use this page.",
    ),
    "notfound.title": ("Hittades inte", "Not found"),
    "notfound.text": (
        "Det finns inget här, eller så får du inte se det.",
        "There is nothing here, or you may not see it.",
    ),
    "error.title": ("Något gick fel", "Something went wrong"),
    # map
    "map.title": ("Lägesbild", "Situational picture"),
    "map.label": ("Karta över platser, händelser och resurser", "Map of places, events, resources"),
    "map.filter": ("Filter", "Filter"),
    "map.from": ("Från", "From"),
    "map.to": ("Till", "To"),
    "map.category": ("Kategori", "Category"),
    "map.all_categories": ("Alla kategorier", "All categories"),
    "map.drug_related": ("Narkotikarelaterat (alla)", "Drug-related (all)"),
    "map.apply": ("Visa", "Show"),
    "map.share": ("Kopiera länk till vyn", "Copy link to this view"),
    "map.legend": ("Teckenförklaring och lager", "Legend and layers"),
    "map.no_tiles": (
        "Ingen bakgrundskarta är inställd; lagren visas ändå.",
        "No background map is set; the layers show anyway.",
    ),
    "layer.extents": ("Scenens utbredning per kartläggning", "Scene extent by mapping round"),
    "layer.places": ("Prioriterade platser", "Priority places"),
    "layer.crimes": ("Anmälda brott", "Reported crimes"),
    "layer.observations": ("Fältobservationer", "Field observations"),
    "layer.hotspots": ("Hot spots (Gi*)", "Hot spots (Gi*)"),
    "layer.cameras": ("Kameror (synfält)", "Cameras (field of view)"),
    "layer.guard_areas": ("Förordnandeområden", "Guard-designated areas"),
    "layer.streets": ("Gator", "Streets"),
    "layer.activation_events": ("Platsaktiveringar", "Activation events"),
    "layer.priorities": ("Veckans prioriterade platser", "This week's priority places"),
    "js.priority": ("Prioriterad plats denna vecka", "Priority place this week"),
    "js.count": ("antal", "count"),
    "js.features": ("{n} objekt", "{n} features"),
    "js.copied": ("Länken är kopierad.", "The link is copied."),
    "js.round": ("Kartläggning", "Mapping round"),
    "js.hot": ("het", "hot"),
    "js.cold": ("kall", "cold"),
    "js.loading": ("Laddar …", "Loading …"),
    "js.load_failed": ("Kunde inte ladda lagret.", "Could not load the layer."),
    # places
    "places.title": (
        "Platser och utbredning per kartläggning",
        "Places and extent per mapping round",
    ),
    "places.none": ("Inga platser ännu.", "No places yet."),
    "place.kind": ("Typ", "Kind"),
    "place.area": ("Yta", "Area"),
    "place.name": ("Plats", "Place"),
    "kind.scene": ("öppen drogscen", "open drug scene"),
    "kind.priority_place": ("prioriterad plats", "priority place"),
    "kind.comparison_area": ("jämförelseområde", "comparison area"),
    "kind.district": ("stadsdel", "district"),
    "kind.city": ("stad", "city"),
    "status.listed": ("listad", "listed"),
    "status.delisted": ("avförd", "delisted"),
    "status.watch": ("bevakas", "watched"),
    "public.fewer": ("färre än {n}", "fewer than {n}"),
    # suppress: move to i18n/messages/suppress.json once the i18n package is on main
    "public.withheld": ("dolt, minst {n}", "withheld, {n} or more"),
    "public.masked": ("visas inte", "not shown"),
    "place.rounds": ("Kartläggningar och utbredning", "Mapping rounds and extent"),
    "place.round": ("Kartläggning", "Round"),
    "place.status": ("Status", "Status"),
    "place.criteria": ("Kriterier", "Criteria"),
    "place.assessed": ("Bedömd", "Assessed"),
    "place.history": ("Statushistorik", "Status history"),
    "place.no_rounds": ("Platsen finns inte i någon kartläggning.", "The place is in no round."),
    "place.indicators": ("Indikatorer: period A mot period B", "Indicators: period A against B"),
    "place.period_a": ("Period A", "Period A"),
    "place.period_b": ("Period B", "Period B"),
    "place.scope": ("Område", "Scope"),
    "place.count_a": ("Antal A", "Count A"),
    "place.count_b": ("Antal B", "Count B"),
    "place.per_ha_a": ("Per ha A", "Per ha A"),
    "place.per_ha_b": ("Per ha B", "Per ha B"),
    "place.ratio": ("Kvot B/A (95 % KI)", "Ratio B/A (95 % CI)"),
    "place.p": ("p", "p"),
    "place.layer": ("Lager", "Layer"),
    "place.chart_per_ha": ("Brott per hektar, A mot B", "Crimes per hectare, A against B"),
    "place.chart_ratio": (
        "Förändring B/A med 95 % konfidensintervall (1 = oförändrat)",
        "Change B/A with 95 % confidence interval (1 = no change)",
    ),
    "place.caveat_title": ("Om narkotikabrott", "About drug offences"),
    "place.no_presence": (
        "Ingen polisnärvaro finns registrerad för perioderna, så en förändring i "
        "narkotikabrott kan inte skiljas från en förändring i polisens aktivitet.",
        "No police presence is recorded for the periods, so a change in drug offences cannot "
        "be told apart from a change in police activity.",
    ),
    "place.presence": (
        "Polisnärvaro: {a} personaltimmar i A, {b} i B.",
        "Police presence: {a} person-hours in A, {b} in B.",
    ),
    "place.method": (
        "Kvoten jämför antal per hektar och dag; intervallet är exakt (villkorat binomialt).",
        "The ratio compares counts per hectare and day; the interval is exact (conditional "
        "binomial).",
    ),
    "scope.extent": ("Utbredning {year}", "Extent {year}"),
    "scope.each_round": (
        "Scenens utbredning enligt periodens kartläggning ({a} mot {b})",
        "Scene extent of each period's round ({a} against {b})",
    ),
    "place.show": ("Visa", "Show"),
    "place.period_help": (
        "År, månad eller datumintervall, t.ex. 2023, 2023-05 eller 2023-01-01..2023-06-30.",
        "Year, month or date range, e.g. 2023, 2023-05 or 2023-01-01..2023-06-30.",
    ),
    "place.no_data": ("Inga poster att räkna för perioderna.", "No records to count."),
    "place.map": ("Karta över platsen", "Map of the place"),
    "place.on_map": ("Visa på stora kartan", "Show on the main map"),
    # field report
    "report.title": ("Rapportera en observation", "Report an observation"),
    "report.position": ("Plats", "Position"),
    "report.position_help": (
        "Tryck på kartan, använd din position eller skriv koordinater.",
        "Tap the map, use your position or type coordinates.",
    ),
    "report.use_position": ("Använd min position", "Use my position"),
    "report.lat": ("Latitud", "Latitude"),
    "report.lon": ("Longitud", "Longitude"),
    "report.category": ("Vad såg du?", "What did you see?"),
    "report.count": ("Antal personer eller föremål", "Number of people or items"),
    "report.when": ("När", "When"),
    "report.text": ("Kort beskrivning", "Short description"),
    "report.no_names": (
        "Skriv inga namn eller andra uppgifter om enskilda personer.",
        "Do not write names or anything else about individual people.",
    ),
    "report.submit": ("Skicka", "Send"),
    "report.mine": ("Mina senaste rapporter", "My recent reports"),
    "report.none": ("Inga rapporter ännu.", "No reports yet."),
    "report.sent": ("Rapporten är skickad.", "The report is sent."),
    "report.choose": ("Välj …", "Choose …"),
    "js.sent": ("Skickad.", "Sent."),
    "js.queued": (
        "Ingen kontakt: rapporten är sparad på enheten och skickas när nätet är tillbaka.",
        "No connection: the report is kept on this device and sent when the network is back.",
    ),
    "js.outbox": ("Väntar på att skickas: {n}", "Waiting to be sent: {n}"),
    "js.sending": ("Skickar …", "Sending …"),
    "js.no_geolocation": ("Positionen kunde inte hämtas.", "The position could not be found."),
    "js.rejected": ("Rapporten togs inte emot: {msg}", "The report was not accepted: {msg}"),
    "js.pending": ("väntar", "waiting"),
    "err.required": ("Fyll i fältet.", "Fill in this field."),
    "err.number": ("Skriv ett tal.", "Enter a number."),
    "err.lat": ("Latitud mellan {lo} och {hi}.", "Latitude between {lo} and {hi}."),
    "err.lon": ("Longitud mellan {lo} och {hi}.", "Longitude between {lo} and {hi}."),
    "err.count": ("Ett heltal från 1 till 1000.", "A whole number from 1 to 1000."),
    "err.text_long": ("Högst {n} tecken.", "At most {n} characters."),
    "err.category": ("Välj en kategori.", "Choose a category."),
    "err.when": ("Ange datum och tid.", "Enter date and time."),
    "err.position": ("Välj en plats på kartan.", "Choose a position on the map."),
    "err.form": ("Rätta fälten som är markerade.", "Correct the marked fields."),
    # residents
    "res.title": ("Tipsa om en plats", "Tell us about a place"),
    "res.intro": (
        "Berätta om en plats som känns otrygg, trasig belysning, nedskräpning eller sprutor. "
        "Tipset granskas innan det används. Vi frågar inte efter namn eller kontaktuppgifter.",
        "Tell us about a place that feels unsafe, broken lighting, litter or syringes. The "
        "report is reviewed before it is used. We do not ask for names or contact details.",
    ),
    "res.category": ("Vad gäller det?", "What is it about?"),
    "res.cat.unsafe_place": ("Otrygg plats", "Unsafe place"),
    "res.cat.lighting": ("Trasig belysning", "Broken lighting"),
    "res.cat.litter": ("Nedskräpning", "Litter"),
    "res.cat.drug_litter": ("Sprutor och narkotikaskräp", "Syringes and drug litter"),
    "res.text": ("Beskrivning (frivillig)", "Description (optional)"),
    "res.submit": ("Skicka tipset", "Send the report"),
    "res.thanks": (
        "Tack! Tipset är mottaget och granskas innan det används.",
        "Thank you! The report is received and will be reviewed before it is used.",
    ),
    "res.limited": (
        "Många tips har skickats härifrån nyss. Försök igen om en stund.",
        "Many reports were sent from here just now. Try again in a while.",
    ),
    "mod.title": ("Granska invånarnas tips", "Moderate residents' reports"),
    "mod.pending": ("Väntar på granskning", "Waiting for moderation"),
    "mod.done": ("Nyligen granskade", "Recently moderated"),
    "mod.none": ("Inga tips väntar.", "No reports are waiting."),
    "mod.accept": ("Godkänn som observation", "Accept as observation"),
    "mod.reject": ("Avvisa", "Reject"),
    "mod.merge": ("Slå ihop med", "Merge into"),
    "mod.merge_target": ("Tips att slå ihop med", "Report to merge into"),
    "mod.as_category": ("Som kategori", "As category"),
    "mod.status.pending": ("väntar", "pending"),
    "mod.status.accepted": ("godkänd", "accepted"),
    "mod.status.rejected": ("avvisad", "rejected"),
    "mod.status.merged": ("sammanslagen", "merged"),
    "mod.received": ("Mottaget", "Received"),
    "mod.observation": ("Observation", "Observation"),
    "mod.err.status": (
        "Rapporten har redan modererats (kanske av någon annan just nu).",
        "The report has already been moderated (perhaps by someone else just now).",
    ),
    "mod.err.into": (
        "Välj en annan väntande eller godkänd rapport att slå ihop med.",
        "Choose another pending or accepted report to merge into.",
    ),
    "mod.err.other": (
        "Rapporten kunde inte modereras: kontrollera kategorin och försök igen.",
        "The report could not be moderated: check the category and try again.",
    ),
    # lists
    "list.none": ("Inga poster.", "No records."),
    "list.more": ("Fler", "More"),
    "list.previous": ("Föregående", "Previous"),
    "list.showing": ("Visar {a}–{b} av {n}", "Showing {a}–{b} of {n}"),
    "col.name": ("Namn", "Name"),
    "col.code": ("Kod", "Code"),
    "col.kind": ("Typ", "Kind"),
    "col.operator": ("Operatör", "Operator"),
    "col.bearing": ("Riktning (°)", "Bearing (°)"),
    "col.angle": ("Vinkel (°)", "Angle (°)"),
    "col.range": ("Räckvidd (m)", "Range (m)"),
    "col.legal_basis": ("Rättslig grund", "Legal basis"),
    "col.active": ("Aktiv", "Active"),
    "col.decision": ("Beslut", "Decision"),
    "col.valid": ("Giltigt", "Valid"),
    "col.title": ("Titel", "Title"),
    "col.when": ("När", "When"),
    "col.organisation": ("Aktör", "Organisation"),
    "col.role": ("Roll", "Role"),
    "col.headcount": ("Antal", "Headcount"),
    "col.sensitivity": ("Synlighet", "Visibility"),
    "col.category": ("Kategori", "Category"),
    "col.text": ("Text", "Text"),
    "col.count": ("Antal", "Count"),
    "col.area": ("Yta", "Area"),
    "sens.public": ("öppen", "public"),
    "sens.shared": ("delad", "shared"),
    "sens.restricted": ("begränsad", "restricted"),
    "orgs.roster": ("Bemanning", "Roster"),
    "orgs.title": ("Aktörer", "Organisations"),
    # survey
    "survey.title": ("Trygghetsmätningen", "The safety survey"),
    "survey.area": ("Område", "Area"),
    "survey.question": ("Fråga", "Question"),
    "survey.show": ("Visa", "Show"),
    "survey.chart": (
        "{area} mot hela staden, andel med 95 % konfidensintervall (Wilson)",
        "{area} against the whole city, share with 95 % confidence interval (Wilson)",
    ),
    "survey.year": ("År", "Year"),
    "survey.share": ("Andel", "Share"),
    "survey.city": ("Staden", "City"),
    "survey.difference": ("Skillnad (95 % KI)", "Difference (95 % CI)"),
    "survey.significant": ("Signifikant", "Significant"),
    "survey.none": ("Inga resultat från trygghetsmätningen.", "No safety survey results."),
    "yes": ("ja", "yes"),
    "no": ("nej", "no"),
    # audit
    "audit.title": ("Loggbok", "Audit log"),
    "audit.at": ("Tid", "Time"),
    "audit.user": ("Användare", "User"),
    "audit.action": ("Händelse", "Action"),
    "audit.layer": ("Lager", "Layer"),
    "audit.record": ("Post", "Record"),
    "audit.detail": ("Detaljer", "Detail"),
    "audit.remote": ("Från", "From"),
    "audit.filter": ("Filtrera", "Filter"),
    # import
    "import.title": ("Importera en fil", "Import a file"),
    "import.layer": ("Lager", "Layer"),
    "import.file": (
        "Fil (CSV, GeoJSON, GeoPackage eller zippad shape)",
        "File (CSV, GeoJSON, GeoPackage or zipped shapefile)",
    ),
    "import.crs": ("Koordinatsystem för x/y (t.ex. EPSG:3006)", "CRS of x/y (e.g. EPSG:3006)"),
    "import.strict": (
        "Spara ingenting om någon rad avvisas",
        "Store nothing if any row is rejected",
    ),
    "import.submit": ("Importera", "Import"),
    "import.result": ("Resultat", "Result"),
    "import.read": ("lästa", "read"),
    "import.stored": ("sparade", "stored"),
    "import.updated": ("uppdaterade", "updated"),
    "import.duplicates": ("dubbletter", "duplicates"),
    "import.rejected": ("avvisade", "rejected"),
    "import.rejected_rows": ("Avvisade rader", "Rejected rows"),
    "import.line": ("Rad", "Line"),
    "import.reason": ("Orsak", "Reason"),
    "import.ignored": ("Ignorerade kolumner: {cols}", "Ignored columns: {cols}"),
    "import.owner": (
        "Raderna ägs av din organisation ({org}).",
        "The rows are owned by your organisation ({org}).",
    ),
    "import.no_file": ("Välj en fil.", "Choose a file."),
    "import.strict_failed": (
        "Ingenting sparades eftersom rader avvisades.",
        "Nothing was stored because rows were rejected.",
    ),
    "import.admin_only": (
        "Bara administratörer får importera aktörer.",
        "Only administrators may import organisations.",
    ),
    "footer.about": ("lagesbild {version}", "lagesbild {version}"),
    # briefings (samverkansuppställningar)
    "nav.briefings": ("Samverkansuppställningar", "Briefings"),
    "briefing.list_title": ("Samverkansuppställningar och möten", "Briefings and meetings"),
    "briefing.title": ("Samverkansuppställning", "Operational briefing"),
    "briefing.title.weekly": ("Veckomöte (EST)", "Weekly meeting (EST)"),
    "briefing.title.forum": ("Strategiskt samverkansforum", "Strategic forum"),
    "briefing.place": ("Plats", "Place"),
    "briefing.at": ("Tid", "Time"),
    "briefing.at_help": (
        "Datum och klockslag för uppställningen (lokal tid).",
        "Date and time of the briefing (local time).",
    ),
    "briefing.status": ("Status", "Status"),
    "briefing.status.open": ("öppen", "open"),
    "briefing.status.locked": ("låst", "locked"),
    "briefing.filter": ("Visa", "Show"),
    "briefing.all_places": ("Alla platser", "All places"),
    "briefing.none": ("Inga samverkansuppställningar.", "No briefings."),
    "briefing.new": ("Ny samverkansuppställning", "New briefing"),
    "briefing.create": ("Skapa och generera lägesbild", "Create and generate the picture"),
    "briefing.err.place": ("Okänd plats.", "Unknown place."),
    "briefing.err.kind": ("Välj ett slag av möte i listan.", "Choose a kind of meeting."),
    "briefing.kind": ("Möte", "Meeting"),
    "briefing.kind.operational": ("samverkansuppställning", "operational briefing"),
    "briefing.kind.weekly": ("veckomöte (EST)", "weekly meeting (EST)"),
    "briefing.kind.forum": ("strategiskt samverkansforum", "strategic forum"),
    "briefing.err.at": (
        "Ange datum och tid, t.ex. 2024-12-17 18:00.",
        "Enter date and time, e.g. 2024-12-17 18:00.",
    ),
    "briefing.err.due": ("Ange ett datum (ÅÅÅÅ-MM-DD).", "Enter a date (YYYY-MM-DD)."),
    "briefing.err.organisation": ("Välj en aktör i listan.", "Choose an organisation in the list."),
    "briefing.err.long": ("Högst 4 000 tecken.", "At most 4,000 characters."),
    "briefing.err.locked": (
        "Uppställningen är låst och kan inte ändras.",
        "The briefing is locked and cannot change.",
    ),
    "briefing.period": (
        "Period {a} – {b} ({days} dygn)",
        "Period {a} – {b} ({days} days)",
    ),
    "briefing.compared": (
        "Jämfört med föregående period lika lång; kvot med 95 % konfidensintervall.",
        "Compared with the previous period of equal length; ratio with 95 % confidence interval.",
    ),
    "briefing.print": ("Utskrift", "Printable page"),
    "briefing.pdf": ("PDF", "PDF"),
    "briefing.locked_note": (
        "Uppställningen är låst ({at}); lägesbild och protokoll kan inte ändras.",
        "The briefing is locked ({at}); its picture and minutes cannot change.",
    ),
    "briefing.generated_on_view": (
        "Lägesbilden genererades när sidan visades (ingen sparad bild).",
        "The picture was generated when shown (none was stored).",
    ),
    "briefing.counts": ("Händelser per kategori", "Events by category"),
    "briefing.category": ("Kategori", "Category"),
    "briefing.before": ("Före", "Before"),
    "briefing.now": ("Nu", "Now"),
    "briefing.ratio": ("Kvot (95 % KI)", "Ratio (95 % CI)"),
    "briefing.nothing": ("Inga.", "None."),
    "briefing.notable": ("Särskilda händelser", "Notable events"),
    "briefing.reason.severe": ("allvarlig", "high severity"),
    "briefing.reason.new": ("ny kategori", "new category"),
    "briefing.more": ("+ {n} fler (se utskriften)", "+ {n} more (see the printable page)"),
    "briefing.hotspots": ("Brännpunkter (Gi*)", "Hot spots (Gi*)"),
    "briefing.hot_cells": (
        "{n} signifikanta heta rutor ({cells} rutor, {points} punkter)",
        "{n} significant hot cells ({cells} cells, {points} points)",
    ),
    "briefing.by_org": ("Observationer per aktör", "Observations by organisation"),
    "briefing.organisation": ("Aktör", "Organisation"),
    "briefing.reports": ("Rapporter", "Reports"),
    "briefing.roster": ("Bemanning i kväll", "Tonight's roster"),
    "briefing.roster_sum": (
        "{n} personer från {orgs} aktörer.",
        "{n} people from {orgs} organisations.",
    ),
    "briefing.headcount": ("Antal", "People"),
    "briefing.time": ("Tid", "Time"),
    "briefing.priorities": ("Veckans prioriterade platser", "This week's priority places"),
    "briefing.activations": (
        "Platsaktiveringar i kväll och kommande dagar",
        "Activation events tonight and the next days",
    ),
    "briefing.actions": ("Åtgärder", "Action items"),
    "briefing.no_actions": ("Inga öppna åtgärder.", "No open action items."),
    "briefing.action": ("Åtgärd", "Action item"),
    "briefing.responsible": ("Ansvarig aktör", "Responsible organisation"),
    "briefing.due": ("Klart senast", "Due"),
    "briefing.overdue": ("försenad", "overdue"),
    "briefing.new_here": ("ny", "new"),
    "briefing.mark_done": ("Klar", "Done"),
    "briefing.mark_done_item": ("Markera åtgärd {id} som klar", "Mark action item {id} done"),
    "briefing.action_status.open": ("öppen", "open"),
    "briefing.action_status.done": ("klar", "done"),
    "briefing.action_status.cancelled": ("struken", "cancelled"),
    "briefing.add_action": ("Ny åtgärd", "New action item"),
    "briefing.add_action_submit": ("Lägg till åtgärd", "Add action item"),
    "briefing.minutes": ("Protokoll", "Minutes"),
    "briefing.attendance": ("Närvarande", "Present"),
    "briefing.attendance_help": (
        "Markera aktörerna som är på plats",
        "Tick the organisations present",
    ),
    "briefing.save_attendance": ("Spara närvaro", "Save attendance"),
    "briefing.decisions": ("Beslut", "Decisions"),
    "briefing.no_decisions": ("Inga beslut ännu.", "No decisions yet."),
    "briefing.add_decision": ("Nytt beslut", "New decision"),
    "briefing.add_decision_submit": ("Lägg till beslut", "Add decision"),
    "briefing.lock": ("Lås uppställningen", "Lock the briefing"),
    "briefing.lock_help": (
        "När uppställningen är låst sparas lägesbild och protokoll och kan inte ändras. Öppna "
        "åtgärder följer med till nästa uppställning.",
        "Once locked, the picture and minutes are kept and cannot change. Open action items are "
        "carried over to the next briefing.",
    ),
    "briefing.lock_submit": ("Lås", "Lock"),
}


def lang_of(request: Request) -> str:
    """The reader's language: `?lang=`, else the `lang` cookie, else Swedish."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return value
    return DEFAULT_LANG


class Translator:
    """Messages, numbers and dates for one language; used as `t` in the templates."""

    def __init__(self, lang: str, tz: ZoneInfo | None = None) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self.tz = tz
        self._i = LANGS.index(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        pair = MESSAGES.get(key)
        text = pair[self._i] if pair else key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def num(self, value: float | int | None, digits: int = 0) -> str:
        """12,5 and 17 850 in Swedish; 12.5 and 17,850 in English. None and NaN show as –."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        text = f"{value:,.{digits}f}"
        if self.lang == "sv":
            # Swedish: a narrow no-break space between thousands, a comma for decimals
            text = text.replace(",", "\u202f").replace(".", ",")
        return text.replace("-", "\u2212") if text.startswith("-") else text

    def ha(self, value: float | None, digits: int = 1) -> str:
        return f"{self.num(value, digits)} ha"  # a plain space: "12,5 ha"

    def pct(self, share: float | None, digits: int = 0) -> str:
        if share is None:
            return "–"
        sep = "\u00a0" if self.lang == "sv" else ""
        return f"{self.num(100 * share, digits)}{sep}%"

    def date(self, value: date | datetime | None) -> str:
        if value is None:
            return "–"
        if isinstance(value, datetime):
            value = self._local(value).date()
        if self.lang == "sv":
            return value.isoformat()  # Swedish usage: 2023-05-01
        return f"{value.day} {value.strftime('%b')} {value.year}"

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return "–"
        local = self._local(value)
        return f"{self.date(local.date())} {local:%H:%M}"

    def _local(self, value: datetime) -> datetime:
        if self.tz is not None and value.tzinfo is not None:
            return value.astimezone(self.tz)
        return value

    def label(self, category) -> str:
        """A taxonomy category's label in this language."""
        return category.label(self.lang)

    def js(self) -> dict[str, str]:
        """The messages the scripts need, keyed without the `js.` prefix, and the extents'
        statuses under their own keys (`status.listed`), which the maps' tooltips show."""
        out = {k[3:]: v[self._i] for k, v in MESSAGES.items() if k.startswith("js.")}
        out.update(self.statuses())
        return out

    def statuses(self) -> dict[str, str]:
        """An extent's status code -> its label, keyed `status.CODE`."""
        return {k: v[self._i] for k, v in MESSAGES.items() if k.startswith("status.")}
