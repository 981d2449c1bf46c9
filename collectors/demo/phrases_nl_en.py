"""Dutch and English phrase banks for the demo stream (data, not logic).

Slots: {brand} {product} {model} {competitor} {days} {price} {handle}. A post is built
from a core sentence for its (stage, sentiment), optional aspect sentences, an opener,
a closer, emoji and hashtags, so that thousands of posts rarely repeat.
"""

NL = {
    "core": {
        "awareness/neutral": [
            "Net een reclame van {brand} gezien tijdens de voetbal.",
            "Overal in de stad hangen ineens posters van {brand}.",
            "Mijn buurman heeft het over {brand}, iemand daar ervaring mee?",
            "Nooit van {brand} gehoord tot vandaag, blijkbaar doen ze {product}s.",
            "Onze oude {product} is er zo goed als klaar mee, tijd om rond te kijken.",
            "Zag een filmpje over {brand} voorbijkomen op mijn tijdlijn.",
            "Wist niet dat {brand} ook in Belgie actief is.",
        ],
        "awareness/positive": [
            "Die nieuwe campagne van {brand} is eigenlijk best grappig.",
            "Leuk dat {brand} de {model} nu ook in groen heeft, valt wel op.",
            "{brand} sponsort het buurtfestival, sympathiek hoor.",
            "Die stand van {brand} op de markt zag er goed uit.",
        ],
        "awareness/negative": [
            "Alweer een reclame van {brand} voor elke video, irritant.",
            "Krijg nu al de derde folder van {brand} in de bus, nee dank je.",
        ],
        "consideration/neutral": [
            "Twijfel tussen {brand} en {competitor}, wie heeft tips?",
            "Is de {model} van {brand} het geld waard?",
            "Iemand ervaring met {brand}? Overweeg om over te stappen.",
            "Wat betaal je ongeveer bij {brand}? Zie op de site {price} euro staan.",
            "Vraagje: hoe is de klantenservice van {brand} als er iets misgaat?",
            "Ben aan het vergelijken: {brand} of toch {competitor}? Reviews lopen erg uiteen.",
            "Wie heeft de {model} al een tijdje? Zit er serieus over te denken.",
            "Op zoek naar een nieuwe {product}. Staat {brand} op jullie lijstje?",
        ],
        "consideration/positive": [
            "{brand} lijkt me eerlijk gezegd de beste optie, maar wil nog even reviews lezen.",
            "Hoor alleen maar goede dingen over {brand}, klopt dat een beetje?",
        ],
        "consideration/negative": [
            "Twijfel over {brand}, lees best veel klachten. Valt het mee?",
            "{brand} is wel duur vergeleken met {competitor}, waarom zou ik dat betalen?",
        ],
        "purchase/positive": [
            "Zojuist de {model} besteld bij {brand}! Benieuwd.",
            "Knoop doorgehakt: het wordt {brand}. Bestelling is geplaatst.",
            "Overgestapt naar {brand}, aanmelden duurde vijf minuten.",
            "Bestelling van {brand} al binnen {days} dagen geleverd, netjes!",
        ],
        "purchase/negative": [
            "Al {days} dagen wachten op mijn bestelling bij {brand}, geen track & trace.",
            "Betaling bij {brand} drie keer mislukt, nu dubbel afgeschreven?!",
            "Levering van mijn {product} bij {brand} weer uitgesteld. Dit is de tweede keer.",
            "Besteld bij {brand} maar de bevestigingsmail komt maar niet.",
        ],
        "purchase/neutral": [
            "Net ingeschreven bij {brand}, eens kijken hoe dit gaat.",
            "Bestelling bij {brand} staat op 'in behandeling'. Duurt dat normaal zo lang?",
            "Contract bij {brand} getekend, start over {days} dagen.",
        ],
        "experience/positive": [
            "Inmiddels {days} weken de {model} van {brand} en nog steeds blij.",
            "Compliment voor de klantenservice van {brand}, binnen een dag opgelost.",
            "Na een maand {brand} kan ik zeggen: dit bevalt prima.",
            "Weer een bestelling bij {brand} gedaan, blijft gewoon goed.",
        ],
        "experience/negative": [
            "ebike::Mijn {model} van {brand} is na {days} weken alweer kapot.",
            "Al {days} dagen geen reactie van {brand} op mijn klacht.",
            "Klantenservice van {brand} hangt na een half uur wachten gewoon op.",
            "Jammer, {brand} valt me echt tegen na een paar maanden.",
            "Wat een gedoe met {brand}, derde keer dat ik moet bellen.",
        ],
        "experience/neutral": [
            "Gebruik de {model} van {brand} nu een paar weken, doet wat het moet doen.",
            "energy|ebike::Vandaag de monteur van {brand} over de vloer gehad voor het onderhoud.",
        ],
        "advocacy/positive": [
            "Aanrader: {brand}. Al {days} maanden zonder problemen.",
            "Twijfel je nog over {brand}? Gewoon doen, ik heb er geen spijt van.",
            "Iedereen die een {product} zoekt: neem {brand}, echt top.",
            "Als je vraagt wat ik zou kiezen: {brand}, zonder twijfel.",
        ],
        "advocacy/negative": [
            "Blijf weg bij {brand}. Serieus, bespaar jezelf de ellende.",
            "Neem alles behalve {brand}. Ik heb er alleen maar gedoe mee.",
            "Waarschuwing voor wie {brand} overweegt: lees eerst de klachten.",
            "Nooit meer {brand}, en ik raad het iedereen af.",
        ],
        "none/neutral": [
            "{brand} opent nieuw kantoor in Utrecht, meldt het FD.",
            "Vacature: {brand} zoekt een medewerker klantenservice (32-40 uur).",
            "Aandeel {brand} vandaag twee procent hoger na kwartaalcijfers.",
            "Fotowedstrijd op het festival, gesponsord door {brand}. Winnaar bekend.",
            "{brand} neemt branchegenoot over, overname moet nog worden goedgekeurd.",
            "Podcast over de groei van {brand} en wat hun oprichter anders deed.",
        ],
    },
    "good": {
        "ebike": [
            "De accu haalt makkelijk 80 km.",
            "Schakelt soepel, ook heuvelop.",
            "De app werkt verrassend goed.",
            "Remmen voelen heel veilig.",
            "Lekker stil motortje.",
            "Ziet er ook nog eens strak uit.",
        ],
        "energy": [
            "De jaarafrekening klopte tot op de euro.",
            "Termijnbedrag netjes verlaagd.",
            "De app laat per uur zien wat we verbruiken.",
            "Terugleververgoeding voor de zonnepanelen is prima.",
            "Overstappen ging zonder dat ik iets hoefde te doen.",
        ],
        "mealkit": [
            "Groenten waren super vers.",
            "De recepten zijn makkelijk en lekker.",
            "Porties zijn echt genoeg voor vier.",
            "Verpakking is grotendeels papier.",
            "Kinderen aten alles op!",
        ],
    },
    "bad": {
        "ebike": [
            "De accu is na 25 km al leeg.",
            "Ketting springt er steeds af.",
            "Het display valt uit in de regen.",
            "Remmen piepen vanaf dag een.",
            "Onderdelen zijn wekenlang niet leverbaar.",
        ],
        "energy": [
            "Jaarafrekening ineens {price} euro bijbetalen.",
            "Termijnbedrag verhoogd zonder uitleg.",
            "Slimme meter wordt niet uitgelezen.",
            "Het klantportaal ligt er weer uit.",
            "Opzegboete die nergens vermeld stond.",
        ],
        "mealkit": [
            "Halve box was beschimmeld.",
            "Koeling was gesmolten en alles lauw.",
            "Ingredienten ontbraken weer.",
            "Bezorger kwam pas om 23.00 uur.",
            "Porties zijn echt te klein.",
        ],
    },
    "openers": {
        "positive": ["", "", "", "Update: ", "Even delen: ", "Eerlijk is eerlijk: "],
        "negative": ["", "", "", "Update: ", "Pff. ", "Nou. ", "Serieus? "],
        "neutral": ["", "", "", "Vraagje aan de tijdlijn: ", "Even polsen: "],
    },
    "closers": {
        "positive": ["", "Top!", "Blij mee.", "Chapeau.", "Zo hoort het."],
        "negative": [
            "",
            "Echt belachelijk.",
            "Ik ben er klaar mee.",
            "Zucht.",
            "Hoe moeilijk kan het zijn?",
        ],
        "neutral": ["", "", "Iemand?", "We gaan het zien."],
    },
    "reply": {
        "prospect_negative": [
            "Oei, ik stond op het punt om {brand} te nemen. Toch maar even wachten.",
            "Dit is precies waarom ik twijfel tussen {brand} en {competitor}.",
            "Is dit vaker zo bij {brand}? Ik wilde volgende week bestellen.",
            "Hmm, dan kijk ik toch nog even verder dan {brand}.",
        ],
        "prospect_positive": [
            "Goed om te horen! Ik overweeg {brand} ook.",
            "Dank voor je ervaring, ik zat te twijfelen over {brand}.",
            "Hoe lang heb je het nu? Ik kijk ook naar de {model}.",
            "Nice, staat nu bovenaan mijn lijstje.",
        ],
        "agree_negative": [
            "Herkenbaar, bij mij precies hetzelfde met {brand}.",
            "Zelfde hier. {brand} reageert nergens op.",
        ],
        "agree_positive": [
            "Kan ik alleen maar beamen, ook heel tevreden over {brand}.",
            "Same! Mijn {model} doet het ook nog perfect.",
        ],
        "care": [
            "Vervelend om te lezen, @{handle}. Stuur je ons een DM met je klantnummer?",
            "Hoi @{handle}, dank voor je bericht! We kijken er direct naar.",
            "Sorry voor het ongemak, @{handle}. Een collega belt je vandaag nog.",
        ],
        "convert": [
            "Na alle reviews toch voor {brand} gegaan, vandaag besteld.",
            "En ja hoor, de {model} van {brand} is besteld. Benieuwd!",
            "Uiteindelijk toch overgestapt naar {brand}.",
        ],
    },
    "products": {"ebike": "e-bike", "energy": "energiecontract", "mealkit": "maaltijdbox"},
    "hashtags": ["#klantenservice", "#ervaring", "#tip", "#review", "#nl"],
}

EN = {
    "core": {
        "awareness/neutral": [
            "Just saw a {brand} ad before my video.",
            "{brand} billboards everywhere on the way to work today.",
            "A colleague mentioned {brand} today, never heard of them before.",
            "Our old {product} is on its last legs, time to start looking.",
            "Apparently {brand} launched the {model} this week.",
            "Saw a {brand} van in my street this morning.",
        ],
        "awareness/positive": [
            "That new {brand} commercial is actually kind of great.",
            "Love the design of the {model} I saw in a shop window.",
            "{brand} sponsoring the local marathon, nice touch.",
        ],
        "awareness/negative": [
            "Third {brand} ad in ten minutes. Enough already.",
            "Why is {brand} spamming my feed with ads all of a sudden.",
        ],
        "consideration/neutral": [
            "Torn between {brand} and {competitor}. Any advice?",
            "Is the {model} from {brand} worth the money?",
            "Anyone here with {brand}? Thinking about switching.",
            "How does {brand} compare to {competitor} on price? I see {price} on their site.",
            "What is {brand} customer service like when something breaks?",
            "Looking for a new {product}. Is {brand} any good?",
            "Anyone had the {model} for a while? Seriously considering it.",
        ],
        "consideration/positive": [
            "{brand} looks like the best option so far, but I want to read more reviews first.",
            "Everyone seems to love {brand}, is it really that good?",
        ],
        "consideration/negative": [
            "Reading a lot of complaints about {brand}. Is it really that bad?",
            "{brand} seems overpriced next to {competitor}, why would I pay more?",
        ],
        "purchase/positive": [
            "Just ordered the {model} from {brand}! Can't wait.",
            "Decision made: going with {brand}. Order placed.",
            "Signed up with {brand} in five minutes, easiest switch ever.",
            "My {brand} order arrived in {days} days, well packed.",
        ],
        "purchase/negative": [
            "{days} days since I ordered from {brand} and still no shipping update.",
            "Checkout at {brand} failed three times and now I've been charged twice?!",
            "{brand} pushed my delivery back again. Second time now.",
            "Ordered from {brand} and never got a confirmation email.",
        ],
        "purchase/neutral": [
            "Signed up with {brand} today, let's see how it goes.",
            "My {brand} order has been 'processing' for {days} days. Is that normal?",
            "Contract with {brand} signed, starts in {days} days.",
        ],
        "experience/positive": [
            "{days} weeks with the {model} from {brand} and still loving it.",
            "Shout-out to {brand} support, fixed my issue within a day.",
            "A month in with {brand} and honestly no complaints.",
            "Ordered from {brand} again, consistently good.",
        ],
        "experience/negative": [
            "ebike::My {brand} {model} broke after just {days} weeks.",
            "{days} days and still no reply from {brand} about my complaint.",
            "{brand} support hung up on me after 30 minutes on hold.",
            "Really disappointed with {brand} after a few months.",
            "Third call to {brand} this week and nothing is fixed.",
        ],
        "experience/neutral": [
            "Been using the {model} from {brand} for a few weeks, does what it says.",
            "energy|ebike::{brand} technician came by today for the yearly check.",
        ],
        "advocacy/positive": [
            "Highly recommend {brand}. {days} months and zero problems.",
            "If you're on the fence about {brand}: just do it, no regrets here.",
            "Anyone looking for a {product}: get {brand}, seriously.",
            "10/10 would recommend {brand} to anyone.",
        ],
        "advocacy/negative": [
            "Stay away from {brand}. Save yourself the headache.",
            "Do NOT buy from {brand}. Learned it the hard way.",
            "Warning to anyone considering {brand}: read the complaints first.",
            "Never again {brand}, and I'm telling everyone I know.",
        ],
        "none/neutral": [
            "{brand} to open a new office in Rotterdam, company says.",
            "Hiring: {brand} is looking for a customer care agent.",
            "{brand} shares up two percent after quarterly results.",
            "Photo contest at the festival, sponsored by {brand}. Winners announced.",
            "{brand} agrees to acquire a smaller rival, pending approval.",
        ],
    },
    "good": {
        "ebike": [
            "Battery easily does 80 km.",
            "Gears shift smoothly, even uphill.",
            "The app is surprisingly good.",
            "Brakes feel very safe.",
            "Motor is nice and quiet.",
        ],
        "energy": [
            "Annual bill was spot on.",
            "They lowered my monthly payment without asking.",
            "The app shows usage per hour.",
            "Solar feed-in rate is decent.",
        ],
        "mealkit": [
            "Veggies were super fresh.",
            "Recipes are easy and tasty.",
            "Portions are plenty for four.",
            "Packaging is mostly paper.",
        ],
    },
    "bad": {
        "ebike": [
            "Battery is dead after 25 km.",
            "Chain keeps falling off.",
            "Display dies in the rain.",
            "Brakes squeak since day one.",
            "Spare parts out of stock for weeks.",
        ],
        "energy": [
            "Suddenly {price} to pay on the annual bill.",
            "Monthly payment raised without explanation.",
            "Smart meter isn't being read.",
            "Customer portal is down again.",
        ],
        "mealkit": [
            "Half the box was mouldy.",
            "Ice packs melted, everything lukewarm.",
            "Ingredients missing again.",
            "Driver showed up at 11pm.",
        ],
    },
    "openers": {
        "positive": ["", "", "", "Update: ", "Honestly: ", "Gotta say: "],
        "negative": ["", "", "", "Update: ", "Ugh. ", "PSA: ", "Seriously? "],
        "neutral": ["", "", "", "Quick question: ", "Hey all: "],
    },
    "closers": {
        "positive": ["", "Great stuff!", "Very happy.", "Well done."],
        "negative": ["", "Ridiculous.", "I'm done.", "How hard can it be?"],
        "neutral": ["", "", "Anyone?", "We'll see."],
    },
    "reply": {
        "prospect_negative": [
            "Yikes, I was about to order from {brand}. Glad I saw this.",
            "This is exactly why I'm stuck between {brand} and {competitor}.",
            "Is this common with {brand}? I was going to buy next week.",
        ],
        "prospect_positive": [
            "Good to hear! I'm considering {brand} too.",
            "Thanks for sharing, I was on the fence about {brand}.",
            "How long have you had it? Looking at the {model} myself.",
        ],
        "agree_negative": ["Same experience with {brand} here.", "Same. {brand} never answers."],
        "agree_positive": [
            "Can confirm, very happy with {brand} too.",
            "Same! My {model} is still going strong.",
        ],
        "care": [
            "Sorry to hear that, @{handle}. Could you DM us your order number?",
            "Hi @{handle}, thanks for flagging this. We're looking into it now.",
        ],
        "convert": [
            "After reading all the reviews I went with {brand}. Ordered today.",
            "Well, the {model} from {brand} is ordered. Excited!",
        ],
    },
    "products": {"ebike": "e-bike", "energy": "energy plan", "mealkit": "meal kit"},
    "hashtags": ["#customerservice", "#review", "#tip", "#ebike", "#foodie"],
}
