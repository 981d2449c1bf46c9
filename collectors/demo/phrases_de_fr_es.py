"""German, French and Spanish phrase banks for the demo stream (data, not logic)."""

DE = {
    "core": {
        "awareness/neutral": [
            "Gerade Werbung von {brand} im Fernsehen gesehen.",
            "Ein Kollege hat heute von {brand} erzählt, kannte ich noch nicht.",
            "Unser alter {product} macht es nicht mehr lange, Zeit sich umzuschauen.",
            "{brand} hat wohl diese Woche das {model} vorgestellt.",
        ],
        "awareness/positive": [
            "Die neue Kampagne von {brand} ist echt witzig.",
            "Das {model} von {brand} sieht im Schaufenster richtig gut aus.",
        ],
        "awareness/negative": ["Schon wieder Werbung von {brand}. Nervt langsam."],
        "consideration/neutral": [
            "Schwanke zwischen {brand} und {competitor}. Erfahrungen?",
            "Lohnt sich das {model} von {brand}?",
            "Hat jemand Erfahrung mit {brand}? Überlege zu wechseln.",
            "Wie ist der Kundenservice von {brand}, wenn mal was kaputt ist?",
            "Suche einen neuen {product}. Ist {brand} zu empfehlen?",
        ],
        "consideration/positive": ["{brand} klingt bisher am besten, will aber noch Tests lesen."],
        "consideration/negative": [
            "Lese viele Beschwerden über {brand}. Ist das wirklich so schlimm?"
        ],
        "purchase/positive": [
            "Gerade das {model} bei {brand} bestellt! Bin gespannt.",
            "Entscheidung gefallen: es wird {brand}.",
            "Lieferung von {brand} nach {days} Tagen da, super verpackt.",
        ],
        "purchase/negative": [
            "Seit {days} Tagen warte ich auf meine Bestellung bei {brand}.",
            "Zahlung bei {brand} dreimal fehlgeschlagen und doppelt abgebucht?!",
            "{brand} hat die Lieferung schon wieder verschoben.",
        ],
        "purchase/neutral": [
            "Heute bei {brand} angemeldet, mal schauen.",
            "Vertrag mit {brand} unterschrieben, Start in {days} Tagen.",
        ],
        "experience/positive": [
            "Seit {days} Wochen das {model} von {brand} und immer noch begeistert.",
            "Lob an den Kundenservice von {brand}, in einem Tag gelöst.",
            "Nach einem Monat mit {brand}: keine Beschwerden.",
        ],
        "experience/negative": [
            "ebike::Mein {model} von {brand} ist nach {days} Wochen kaputt.",
            "Seit {days} Tagen keine Antwort von {brand} auf meine Reklamation.",
            "Bin von {brand} nach ein paar Monaten echt enttäuscht.",
        ],
        "experience/neutral": [
            "Nutze das {model} von {brand} seit ein paar Wochen, tut was es soll."
        ],
        "advocacy/positive": [
            "Klare Empfehlung: {brand}. {days} Monate ohne Probleme.",
            "Wer einen {product} sucht: nehmt {brand}, ehrlich.",
        ],
        "advocacy/negative": [
            "Finger weg von {brand}. Erspart euch den Ärger.",
            "Kauft bloß nicht bei {brand}. Nie wieder.",
        ],
        "none/neutral": [
            "{brand} eröffnet neues Büro in Köln.",
            "Stellenangebot: {brand} sucht Mitarbeiter im Kundenservice.",
            "Aktie von {brand} nach Quartalszahlen zwei Prozent im Plus.",
        ],
    },
    "good": {
        "ebike": ["Der Akku schafft locker 80 km.", "Schaltet butterweich, auch bergauf."],
        "energy": ["Die Jahresabrechnung war korrekt.", "Abschlag ohne Nachfrage gesenkt."],
        "mealkit": ["Gemüse war super frisch.", "Rezepte einfach und lecker."],
    },
    "bad": {
        "ebike": ["Akku nach 25 km leer.", "Die Kette springt ständig ab."],
        "energy": ["Plötzlich {price} Euro Nachzahlung.", "Abschlag ohne Erklärung erhöht."],
        "mealkit": ["Die Hälfte war verschimmelt.", "Zutaten fehlten schon wieder."],
    },
    "openers": {
        "positive": ["", "", "Update: ", "Ehrlich gesagt: "],
        "negative": ["", "", "Update: ", "Ehrlich gesagt: "],
        "neutral": ["", "", "Kurze Frage: "],
    },
    "closers": {
        "positive": ["", "Top!", "Sehr zufrieden."],
        "negative": ["", "Unglaublich.", "Mir reicht's."],
        "neutral": ["", "Jemand?"],
    },
    "reply": {
        "prospect_negative": [
            "Oh, ich wollte gerade bei {brand} bestellen. Gut, dass ich das sehe.",
            "Genau deshalb schwanke ich zwischen {brand} und {competitor}.",
        ],
        "prospect_positive": [
            "Gut zu hören! Überlege auch {brand}.",
            "Danke, ich war mir bei {brand} unsicher.",
        ],
        "agree_negative": ["Bei mir genauso mit {brand}."],
        "agree_positive": ["Kann ich bestätigen, auch sehr zufrieden mit {brand}."],
        "care": ["Das tut uns leid, @{handle}. Schick uns bitte eine DM mit deiner Bestellnummer."],
        "convert": ["Nach allen Bewertungen doch {brand} genommen, heute bestellt."],
    },
    "products": {"ebike": "E-Bike", "energy": "Stromvertrag", "mealkit": "Kochbox"},
    "hashtags": ["#kundenservice", "#erfahrung", "#test"],
}

FR = {
    "core": {
        "awareness/neutral": [
            "Je viens de voir une pub {brand} à la télé.",
            "Un collègue m'a parlé de {brand} aujourd'hui, je ne connaissais pas.",
            "Notre vieux {product} est fatigué, il est temps de chercher.",
            "Apparemment {brand} a sorti le {model} cette semaine.",
        ],
        "awareness/positive": [
            "La nouvelle pub {brand} est vraiment drôle.",
            "Le {model} de {brand} en vitrine a l'air top.",
        ],
        "awareness/negative": ["Encore une pub {brand} avant chaque vidéo, ça saoule."],
        "consideration/neutral": [
            "J'hésite entre {brand} et {competitor}. Des avis ?",
            "Le {model} de {brand} vaut-il son prix ?",
            "Quelqu'un a testé {brand} ? Je pense changer.",
            "Comment est le service client de {brand} en cas de panne ?",
            "Je cherche un nouveau {product}. {brand}, c'est bien ?",
        ],
        "consideration/positive": [
            "{brand} a l'air d'être la meilleure option, mais je lis encore des avis."
        ],
        "consideration/negative": ["Je lis beaucoup de plaintes sur {brand}. C'est si grave ?"],
        "purchase/positive": [
            "Je viens de commander le {model} chez {brand} !",
            "Décision prise : ce sera {brand}.",
            "Commande {brand} livrée en {days} jours, nickel.",
        ],
        "purchase/negative": [
            "Ça fait {days} jours que j'attends ma commande {brand}.",
            "Paiement refusé trois fois chez {brand} et débité deux fois ?!",
            "{brand} a encore repoussé ma livraison.",
        ],
        "purchase/neutral": [
            "Inscrit chez {brand} aujourd'hui, on verra.",
            "Contrat {brand} signé, début dans {days} jours.",
        ],
        "experience/positive": [
            "{days} semaines avec le {model} de {brand} et toujours ravi.",
            "Bravo au service client {brand}, réglé en un jour.",
            "Un mois chez {brand}, rien à redire.",
        ],
        "experience/negative": [
            "ebike::Mon {model} de {brand} est déjà en panne après {days} semaines.",
            "Toujours aucune réponse de {brand} après {days} jours.",
            "Vraiment déçu par {brand} après quelques mois.",
        ],
        "experience/neutral": [
            "J'utilise le {model} de {brand} depuis quelques semaines, ça fait le job."
        ],
        "advocacy/positive": [
            "Je recommande {brand} à 100 %. {days} mois sans souci.",
            "Si vous cherchez un {product} : prenez {brand}.",
        ],
        "advocacy/negative": [
            "Fuyez {brand}. Épargnez-vous les galères.",
            "N'achetez surtout pas chez {brand}. Plus jamais.",
        ],
        "none/neutral": [
            "{brand} ouvre un nouveau bureau à Lyon.",
            "Offre d'emploi : {brand} recrute un conseiller client.",
            "L'action {brand} gagne deux pour cent après ses résultats.",
        ],
    },
    "good": {
        "ebike": ["La batterie tient facilement 80 km.", "Les vitesses passent tout en douceur."],
        "energy": ["La facture annuelle était juste.", "Mensualité baissée sans rien demander."],
        "mealkit": ["Légumes super frais.", "Recettes simples et bonnes."],
    },
    "bad": {
        "ebike": ["Batterie à plat après 25 km.", "La chaîne saute sans arrêt."],
        "energy": [
            "Soudain {price} euros à régulariser.",
            "Mensualité augmentée sans explication.",
        ],
        "mealkit": ["La moitié était moisie.", "Il manquait encore des ingrédients."],
    },
    "openers": {
        "positive": ["", "", "Mise à jour : ", "Franchement : "],
        "negative": ["", "", "Mise à jour : ", "Franchement : "],
        "neutral": ["", "", "Petite question : "],
    },
    "closers": {
        "positive": ["", "Top !", "Très content."],
        "negative": ["", "Inadmissible.", "J'en ai marre."],
        "neutral": ["", "Quelqu'un ?"],
    },
    "reply": {
        "prospect_negative": [
            "Aïe, j'allais commander chez {brand}. Merci pour l'info.",
            "C'est exactement pour ça que j'hésite entre {brand} et {competitor}.",
        ],
        "prospect_positive": [
            "Bon à savoir ! Je pense aussi à {brand}.",
            "Merci du retour, j'hésitais pour {brand}.",
        ],
        "agree_negative": ["Pareil pour moi avec {brand}."],
        "agree_positive": ["Je confirme, très content de {brand} aussi."],
        "care": ["Désolés, @{handle}. Pouvez-vous nous envoyer votre numéro de commande en MP ?"],
        "convert": ["Après tous les avis, j'ai pris {brand}. Commandé aujourd'hui."],
    },
    "products": {"ebike": "vélo électrique", "energy": "contrat d'énergie", "mealkit": "box repas"},
    "hashtags": ["#serviceclient", "#avis", "#conseil"],
}

ES = {
    "core": {
        "awareness/neutral": [
            "Acabo de ver un anuncio de {brand} en la tele.",
            "Un compañero me habló hoy de {brand}, no lo conocía.",
            "Nuestro viejo {product} ya no da más, toca buscar.",
            "Parece que {brand} ha lanzado el {model} esta semana.",
        ],
        "awareness/positive": [
            "El nuevo anuncio de {brand} es muy gracioso.",
            "El {model} de {brand} se ve genial en la tienda.",
        ],
        "awareness/negative": ["Otra vez publicidad de {brand}, qué pesados."],
        "consideration/neutral": [
            "Dudo entre {brand} y {competitor}. ¿Consejos?",
            "¿Vale la pena el {model} de {brand}?",
            "¿Alguien tiene {brand}? Estoy pensando en cambiarme.",
            "¿Qué tal el servicio al cliente de {brand} cuando algo falla?",
            "Busco un {product} nuevo. ¿{brand} está bien?",
        ],
        "consideration/positive": [
            "{brand} parece la mejor opción, pero quiero leer más opiniones."
        ],
        "consideration/negative": ["Leo muchas quejas de {brand}. ¿Es para tanto?"],
        "purchase/positive": [
            "¡Acabo de pedir el {model} de {brand}!",
            "Decidido: me quedo con {brand}.",
            "Pedido de {brand} entregado en {days} días, perfecto.",
        ],
        "purchase/negative": [
            "Llevo {days} días esperando mi pedido de {brand}.",
            "El pago en {brand} falló tres veces y me cobraron dos?!",
            "{brand} ha vuelto a retrasar mi entrega.",
        ],
        "purchase/neutral": [
            "Me he dado de alta en {brand} hoy, ya veremos.",
            "Contrato con {brand} firmado, empieza en {days} días.",
        ],
        "experience/positive": [
            "{days} semanas con el {model} de {brand} y encantado.",
            "Bravo al servicio al cliente de {brand}, resuelto en un día.",
            "Un mes con {brand} y ninguna queja.",
        ],
        "experience/negative": [
            "ebike::Mi {model} de {brand} se rompió a las {days} semanas.",
            "{days} días sin respuesta de {brand} a mi reclamación.",
            "Muy decepcionado con {brand} después de unos meses.",
        ],
        "experience/neutral": ["Uso el {model} de {brand} desde hace unas semanas, cumple."],
        "advocacy/positive": [
            "Recomiendo {brand} al cien por cien. {days} meses sin problemas.",
            "Si buscáis un {product}: {brand}, sin duda.",
        ],
        "advocacy/negative": [
            "Huid de {brand}. Ahorraos el disgusto.",
            "No compréis en {brand}. Nunca más.",
        ],
        "none/neutral": [
            "{brand} abre una nueva oficina en Madrid.",
            "Empleo: {brand} busca agente de atención al cliente.",
            "Las acciones de {brand} suben un dos por ciento tras resultados.",
        ],
    },
    "good": {
        "ebike": ["La batería aguanta 80 km sin problema.", "Cambia de marcha muy suave."],
        "energy": ["La factura anual era correcta.", "Me bajaron la cuota sin pedirlo."],
        "mealkit": ["Verduras muy frescas.", "Recetas fáciles y ricas."],
    },
    "bad": {
        "ebike": ["La batería se acaba a los 25 km.", "La cadena se sale todo el rato."],
        "energy": [
            "De repente {price} euros de regularización.",
            "Subieron la cuota sin explicación.",
        ],
        "mealkit": ["La mitad estaba con moho.", "Otra vez faltaban ingredientes."],
    },
    "openers": {
        "positive": ["", "", "Actualización: ", "Sinceramente: "],
        "negative": ["", "", "Actualización: ", "Sinceramente: "],
        "neutral": ["", "", "Pregunta rápida: "],
    },
    "closers": {
        "positive": ["", "¡Genial!", "Muy contento."],
        "negative": ["", "Vergonzoso.", "Estoy harto."],
        "neutral": ["", "¿Alguien?"],
    },
    "reply": {
        "prospect_negative": [
            "Uf, iba a pedir en {brand}. Menos mal que lo he visto.",
            "Por esto mismo dudo entre {brand} y {competitor}.",
        ],
        "prospect_positive": [
            "¡Bueno saberlo! Yo también estoy mirando {brand}.",
            "Gracias, tenía dudas con {brand}.",
        ],
        "agree_negative": ["Me pasa lo mismo con {brand}."],
        "agree_positive": ["Lo confirmo, muy contento con {brand} también."],
        "care": ["Lo sentimos, @{handle}. ¿Nos mandas tu número de pedido por MD?"],
        "convert": ["Después de leer opiniones, me quedé con {brand}. Pedido hoy."],
    },
    "products": {
        "ebike": "bici eléctrica",
        "energy": "contrato de luz",
        "mealkit": "caja de recetas",
    },
    "hashtags": ["#atencionalcliente", "#opinion", "#consejo"],
}
