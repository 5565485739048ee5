"""The demo profile's posts: which photograph, when, and what its author wrote (captions invented for the demo).

Photographs and their licences: CREDITS.md beside this file. `file` is relative to the folder the
build script is given (see build.py).
"""

OWNER = {
    "pk": "7000000001",
    "username": "photosearch_demo",
    "full_name": "photosearch demo",
    "is_private": False,
    "biography": "Free-licensed photographs to try photosearch with. Credits in the repository.",
    "profile_pic_url": "https://demo.invalid/profile.jpg",
}


def _one(file, alt):
    return [{"file": file, "alt": f"May be an image of {alt}"}]


POSTS = [
    {
        "date": "2023-01-14T08:12:00",
        "photos": _one("mate/Aqua.jpg", "a drop of water splashing into water"),
        "caption": "Caught the exact moment a drop hits the surface 💧 #water #macro #splash",
        "likes": 112,
    },
    {
        "date": "2023-02-03T16:40:00",
        "photos": _one("plasma/ColdRipple.jpg", "a wooden pier going out into a foggy lake, black and white"),
        "caption": "Un ponton dans le brouillard, personne à l'horizon. #noiretblanc #lac #brume",
        "location": "Lac d'Annecy",
        "likes": 240,
    },
    {
        "date": "2023-03-11T12:05:00",
        "photos": _one("skimage/chelsea.png", "a tabby cat with green eyes, close up"),
        "caption": "Chelsea judging me for being late with breakfast 🐱 #cat #caturday #tabby",
        "likes": 987,
        "comments": 41,
    },
    {
        "date": "2023-03-29T07:30:00",
        "photos": _one("skimage/coffee.png", "a red cup of espresso on a saucer with a spoon, on a wooden table"),
        "caption": "Premier espresso de la journée au comptoir ☕ merci @pikolo_espresso #café #espresso",
        "location": "Pikolo Espresso Bar",
        "likes": 156,
    },
    {
        "date": "2023-04-16T10:20:00",
        "photos": _one("mate/LadyBird.jpg", "a ladybird on a blade of grass among small blue flowers"),
        "caption": "A ladybird climbing among forget-me-nots. Spring is here! #ladybug #spring #macro",
        "likes": 301,
    },
    {
        "date": "2023-04-30T14:45:00",
        "photos": [
            {"file": "mate/FreshFlower.jpg", "alt": "May be an image of an orange flower, close up"},
            {"file": "mate/Garden.jpg", "alt": "May be an image of a red and orange marigold in a garden"},
            {"file": "mate/YellowFlower.jpg", "alt": "May be an image of a bright yellow flower, close up"},
        ],
        "caption": "Le jardin explose de couleurs : orange, rouge, jaune 🌼 #fleurs #jardin #printemps",
        "location": "Jardin des Plantes, Paris",
        "likes": 420,
    },
    {
        "date": "2023-05-18T18:10:00",
        "photos": _one("mate/RainDrops.jpg", "green leaves covered in rain drops"),
        "caption": "After the rain. #raindrops #green #leaves",
        "likes": 88,
    },
    {
        "date": "2023-06-02T09:00:00",
        "photos": _one("mate/Blinds.jpg", "a green leaf lit from behind, close up"),
        "caption": "Light through a leaf, like green blinds. #nature #abstract #green",
        "likes": 64,
    },
    {
        "date": "2023-06-21T21:55:00",
        "photos": _one("plasma/summer_1am.jpg", "a pink and purple sky over a calm lake at night, with reeds"),
        "caption": "1 am and the sky is still pink. Nuits blanches du solstice. #summer #midnightsun #lake",
        "location": "Lappeenranta, Finland",
        "likes": 512,
    },
    {
        "date": "2023-07-04T13:30:00",
        "photos": _one("mate/Dune.jpg", "dry grass on a sand dune, with the sea behind"),
        "caption": "Les oyats sur la dune, et la mer juste derrière 🌊 #plage #dune #vacances",
        "location": "Dune du Pilat",
        "likes": 333,
    },
    {
        "date": "2023-07-19T11:15:00",
        "photos": _one("plasma/Kite.jpg", "a colourful kite flying in a blue sky with white clouds"),
        "caption": "Windy day, perfect for the kite 🪁 #kite #sky #clouds #windy",
        "likes": 145,
    },
    {
        "date": "2023-08-08T20:40:00",
        "photos": _one(
            "plasma/EveningGlow.jpg", "wooden rowing boats on a pebble beach by a lake at sunset, mountains"
        ),
        "caption": "Rowing boats waiting for tomorrow, golden hour on the lake. #sunset #boats #lakedistrict",
        "location": "Derwentwater, Lake District",
        "likes": 876,
        "comments": 23,
    },
    {
        "date": "2023-08-25T19:05:00",
        "photos": _one("plasma/BytheWater.jpg", "wooden boards of a jetty at the water's edge at dusk"),
        "caption": "Assis au bord de l'eau, le soleil se couche. #coucherdesoleil #ponton #lac",
        "likes": 203,
    },
    {
        "date": "2023-09-09T06:30:00",
        "photos": [
            {"file": "plasma/Path.jpg", "alt": "May be an image of a path through a dark pine forest"},
            {"file": "plasma/OneStandsOut.jpg", "alt": "May be an image of pine trees seen from above, one orange"},
        ],
        "caption": "Forest walk: on the path, then up with the drone. One tree stands out 🌲 #forest #drone #pines",
        "location": "Nuuksio National Park",
        "likes": 654,
    },
    {
        "date": "2023-09-30T17:20:00",
        "photos": _one("mate/Storm.jpg", "dark storm clouds over a flat landscape and a road"),
        "caption": "Orage en approche sur l'autoroute, on a roulé vite ⛈️ #orage #nuages #roadtrip",
        "likes": 178,
    },
    {
        "date": "2023-10-21T15:00:00",
        "photos": _one("plasma/FallenLeaf.jpg", "a fallen orange maple leaf on the ground in autumn"),
        "caption": "First fallen leaves of the season 🍁 #autumn #fall #leaf",
        "likes": 390,
    },
    {
        "date": "2023-11-12T10:10:00",
        "photos": _one("mate/TwoWings.jpg", "dandelion seeds in front of an orange flower"),
        "caption": "Deux aigrettes de pissenlit, prêtes à s'envoler. #pissenlit #macro #douceur",
        "likes": 97,
    },
    {
        "date": "2023-12-02T16:25:00",
        "photos": _one("plasma/DarkestHour.jpg", "a blue dusk over a still lake with a line of trees"),
        "caption": "The darkest hour, just before the night. Blue everywhere. #bluehour #lake #calm",
        "location": "Lake Saimaa",
        "likes": 268,
    },
    {
        "date": "2024-01-06T12:00:00",
        "photos": _one("mate/Wood.jpg", "pale weathered wooden boards"),
        "caption": "Textures: old boards of a beach hut. #wood #texture #minimal",
        "likes": 45,
    },
    {
        "date": "2024-01-27T14:35:00",
        "photos": _one("plasma/Grey.jpg", "curving white panels of a modern building facade, black and white"),
        "caption": "Architecture en courbes, façade blanche sur ciel gris. #architecture #noiretblanc #design",
        "likes": 221,
    },
    {
        "date": "2024-02-14T19:45:00",
        "photos": _one("plasma/ColorfulCups.jpg", "rows of colourful cups seen from above"),
        "caption": "Party prep: 60 cups and counting 🎉 with @dmitri #party #colors #pattern",
        "likes": 132,
    },
    {
        "date": "2024-03-08T09:30:00",
        "photos": _one(
            "skimage/astronaut.png", "a smiling astronaut in an orange suit holding a helmet, a flag behind"
        ),
        "caption": "Eileen Collins, first woman to pilot the Space Shuttle. Happy women's day! 🚀 #nasa #astronaut",
        "likes": 1520,
        "comments": 77,
    },
    {
        "date": "2024-03-30T22:15:00",
        "photos": _one("skimage/rocket.jpg", "a rocket on its launch pad at night, lit by floodlights"),
        "caption": "Falcon 9 on the pad before launch, Cape Canaveral. #spacex #rocket #launch",
        "location": "Cape Canaveral, Florida",
        "likes": 1104,
    },
    {
        "date": "2024-04-12T23:50:00",
        "photos": _one("skimage/hubble_deep_field.jpg", "thousands of galaxies in a dark sky"),
        "caption": "Chaque point est une galaxie. Le champ ultra-profond de Hubble 🌌 #astronomie #hubble #espace",
        "likes": 845,
    },
    {
        "date": "2024-05-05T15:40:00",
        "photos": _one("skimage/camera.png", "a man filming with a camera on a tripod on a lawn, black and white"),
        "caption": "Behind the camera on campus, old-school tripod. #photographer #blackandwhite #camera",
        "location": "Cambridge, Massachusetts",
        "likes": 190,
    },
    {
        "date": "2024-05-26T11:05:00",
        "photos": _one("mate/GreenMeadow.jpg", "tall green grass in a meadow"),
        "caption": "Herbe haute au mois de mai, on s'y allongerait bien. #prairie #herbe #vert",
        "likes": 76,
    },
]
