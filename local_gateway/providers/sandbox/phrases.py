"""Phrase tables for the sandbox model's voices: moods, NPC roles, intents, state mentions, disciplines.

Data only. Placeholders: ``{topic}`` (what the player asked about), ``{it}`` ("the sword" or
"that"), ``{place}``, ``{goods}``, ``{who}`` (name and role), ``{v}`` (a state value, verbatim),
``{label}`` (the state key in words), ``{craft}`` (a role's answer to a request).
"""

from __future__ import annotations

from dataclasses import dataclass


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Mood:
    triggers: tuple[str, ...]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    attitudes: tuple[str, ...]
    terse: tuple[str, ...]
    exclaim: str


@dataclass(frozen=True)
class Role:
    triggers: tuple[str, ...]
    label: str
    place: str
    goods: str
    stage: tuple[str, ...]
    craft: tuple[str, ...]
    details: tuple[str, ...]
    mood: str = "neutral"


# The tables below are laid out by hand, one kind of phrase per line, to be read as data.
# fmt: off
MOODS: dict[str, Mood] = {
    "grumpy": Mood(
        _w("grumpy gruff surly grouchy cranky bitter irritable cantankerous stern rude impatient sour "
           "grizzled curmudgeonly blunt"),
        ("Hmph.", "Bah.", "What now?", "Ugh, you again."),
        ("Now stop wasting my time.", "Don't make me regret it.", "Off with you, then."),
        ("Fine, I'll deal with {it}, but don't expect a smile.",
         "Everyone wants {it}, and nobody wants to wait."),
        ("Costs extra.", "Maybe. Later."),
        "By my beard!",
    ),
    "cheerful": Mood(
        _w("cheerful jolly friendly happy merry kind warm bubbly upbeat enthusiastic welcoming chatty "
           "gossip cheery optimistic"),
        ("Oh, hello there!", "Well, aren't you a sight!", "Ha! Welcome, welcome!"),
        ("Come back anytime, friend!", "Mind how you go, and keep smiling!", "Oh, this was lovely!"),
        ("I'd be delighted to help with {it}!", "What a splendid thing to ask about!"),
        ("Gladly!", "Of course!"),
        "Oh, how exciting!",
    ),
    "sinister": Mood(
        _w("sinister evil menacing villainous dark cruel malevolent wicked cunning scheming creepy "
           "ominous shady treacherous vengeful"),
        ("Ah... a visitor.", "How... curious.", "Come closer, little one."),
        ("We will speak again. Soon.", "Do not keep me waiting.", "Run along, while you still can."),
        ("That can be arranged... for a price you may not enjoy.",
         "Many have asked about {it}. Few lived to regret it."),
        ("Perhaps... for a price.", "How amusing."),
        "Tremble, mortal!",
    ),
    "noble": Mood(
        _w("noble honorable honourable regal proud gallant chivalrous knightly dignified valiant "
           "righteous loyal brave heroic"),
        ("Well met, traveler.", "Hail, friend.", "Greetings, and be welcome."),
        ("Go with honor.", "May your blade stay true.", "I bid you good fortune."),
        ("On my honor, {it} shall be seen to.", "A worthy request; {it} deserves care."),
        ("It shall be done.", "You have my word."),
        "By the crown!",
    ),
    "wise": Mood(
        _w("wise ancient old elderly sage mystic mystical learned scholarly calm serene thoughtful "
           "enigmatic patient"),
        ("Patience, young one.", "Mmm. Listen well.", "Ah, the old questions return."),
        ("Reflect on this before you act.", "The answer was always within you.", "Go now, and think."),
        ("Nothing about {it} is only what it seems.", "Seek {it} with patience, not haste."),
        ("In time.", "Patience."),
        "Hear me!",
    ),
    "nervous": Mood(
        _w("nervous timid shy anxious scared cowardly jumpy fearful paranoid skittish"),
        ("Oh! Y-you startled me.", "Um, hello? Sorry.", "Is... is someone there?"),
        ("P-please don't tell anyone I said that.", "I should get back to work, sorry.",
         "Be careful out there, okay?"),
        ("{It}? I-I really shouldn't say much.", "I can try to help with {it}, I think."),
        ("I-I'll try.", "M-maybe?"),
        "Oh no, oh no!",
    ),
    "neutral": Mood(
        (),
        ("Well.", "Right.", "Ah."),
        ("Anything else?", "Safe travels.", "That's all I know."),
        ("{It}, then. Let's see.", "I can tell you a little about {it}."),
        ("I'll see.", "Could be."),
        "Ha!",
    ),
}

ROLES: dict[str, Role] = {
    "blacksmith": Role(
        _w("blacksmith smith armorer armourer weaponsmith forgemaster smithy weapons"),
        "blacksmith", "forge", "steel longsword",
        ("*slams hammer on anvil*", "*wipes soot from brow*", "*plunges hot steel into the quench*"),
        ("That means long days at the anvil and the best steel I have.",
         "I'd need good ore, a hot fire and a week of work for that."),
        ("The forge has burned since before dawn.", "Steel remembers every careless strike.",
         "My grandfather taught me to read the colour of hot iron.",
         "A blade is only as good as its temper, and mine are the best in the valley."),
    ),
    "merchant": Role(
        _w("merchant shopkeeper shopkeep trader vendor peddler pedlar salesman shop"),
        "merchant", "shop", "healing potion",
        ("*rattles a coin purse*", "*sweeps a hand over the wares*", "*taps the brass scales*"),
        ("I can find one, if your coin is good.",
         "Everything has its price, and I have the scales to prove it."),
        ("Prices change with the caravans.", "Every piece on these shelves has a story and a price tag.",
         "I never haggle before breakfast.", "My suppliers come from three kingdoms away."),
    ),
    "innkeeper": Role(
        _w("innkeeper barkeep barkeeper bartender tavern barmaid publican inn"),
        "innkeeper", "inn", "mug of spiced ale",
        ("*wipes down the bar*", "*slides a mug across the counter*", "*leans on the counter*"),
        ("I'll see what the kitchen and the cellar can do.", "Sit down, and I'll have it brought over."),
        ("The stew's been on since noon.", "Travelers bring the best rumors along with their thirst.",
         "The rooms upstairs are clean, mostly.", "Nobody starts a fight in my inn twice."),
    ),
    "guard": Role(
        _w("guard soldier watchman sentry sergeant captain guardsman patrol warden knight"),
        "guard", "gate", "travel pass",
        ("*shifts grip on spear*", "*blocks the path*", "*squints at you from under the helmet*"),
        ("That's not my job, but I'll see what the captain says.",
         "Orders are orders; I'll need a reason first."),
        ("Nobody passes the gate after curfew.", "We've had bandits on the east road all month.",
         "I've stood this post for eleven years.", "Keep your weapon sheathed inside the walls."),
    ),
    "wizard": Role(
        _w("wizard mage sorcerer sorceress witch warlock enchanter enchantress alchemist druid magician "
           "archmage oracle seer"),
        "wizard", "tower", "scroll of fireball",
        ("*eyes glow faintly*", "*traces a rune in the air*", "*strokes a long beard*"),
        ("Such things require study, focus, and rare reagents.",
         "The arcane does not hurry, and neither shall I."),
        ("The stars have been restless of late.", "Magic always takes its due, one way or another.",
         "I have read every book in this tower twice.", "Mind the glowing jars; they bite."),
    ),
    "healer": Role(
        _w("healer priest priestess cleric monk nun herbalist doctor physician shaman medic apothecary"),
        "healer", "temple", "healing draught",
        ("*grinds herbs in a mortar*", "*lays a gentle hand on your shoulder*", "*lights a small candle*"),
        ("Rest here a while, and I will prepare what you need.",
         "The right herbs and a little faith will see to that."),
        ("Every wound tells a story.", "The temple doors are open to all who suffer.",
         "Willow bark for the pain, sleep for the rest.", "Too many come to me only after it is too late."),
    ),
    "villain": Role(
        ("villain", "necromancer", "overlord", "tyrant", "warlord", "dark lord", "lich", "cultist",
         "usurper", "antagonist", "demon"),
        "master", "throne room", "cursed amulet",
        ("*steeples fingers*", "*laughs softly*", "*a cold wind sweeps the hall*"),
        ("Everything can be arranged, for a price.", "You would bargain with me? How brave."),
        ("This kingdom will kneel soon enough.", "I have waited centuries; I can wait a little longer.",
         "Your heroes always arrive too late.", "Power is the only honest currency."),
        "sinister",
    ),
    "quest_giver": Role(
        ("quest giver", "questgiver", "elder", "mayor", "chieftain", "chief", "reeve", "headman", "steward"),
        "elder", "village", "old map",
        ("*unrolls a worn map*", "*gazes toward the hills*", "*leans on a carved staff*"),
        ("I'll speak to the council about it.", "If you help us, we will help you."),
        ("The harvest has been poor, and the wolves bold.", "Strange lights were seen near the old mill.",
         "Our people have lived here for nine generations.", "We cannot pay much, but we pay honestly."),
    ),
    "companion": Role(
        ("companion", "sidekick", "ally", "squire", "partner", "party member", "adventurer"),
        "companion", "camp", "bedroll",
        ("*claps you on the shoulder*", "*checks the pack straps*", "*grins and draws a blade*"),
        ("Count me in; I've got your back.", "Let's do it together, like always."),
        ("We've come a long way since the crossroads.", "I still owe you for that business with the troll.",
         "Camp's ready whenever you are.", "Whatever happens, I'm not leaving you behind."),
        "cheerful",
    ),
    "ranger": Role(
        _w("ranger hunter scout tracker trapper archer woodsman forester"),
        "ranger", "woods", "bundle of arrows",
        ("*tests a bowstring*", "*kneels to study the tracks*"),
        ("I know these woods; I can find what you need.", "Give me a day and a clear trail."),
        ("The deer have moved north this season.", "Wolves have been bold near the river.",
         "Fresh tracks never lie.", "A quiet step keeps you alive out here."),
    ),
    "thief": Role(
        _w("thief rogue smuggler pickpocket assassin burglar spy pirate bandit"),
        "rogue", "alley", "set of lockpicks",
        ("*glances over both shoulders*", "*flips a coin across the knuckles*"),
        ("Could be done. Quietly, and for a cut.", "Anything can be acquired, if nobody's looking."),
        ("The guards change shifts at the bell.", "I never forget a face, or a debt.",
         "What you don't know can't hang you.", "Keep your purse close in this district."),
    ),
    "villager": Role(
        _w("villager farmer peasant fisherman miller baker townsfolk citizen commoner"),
        "local", "village", "loaf of bread",
        ("*wipes hands on an apron*", "*looks up from the work*"),
        ("I'll do what I can, though I'm no expert.", "Ask around; someone here can help."),
        ("The harvest came in late this year.", "Folk around here keep to themselves.",
         "The road to town floods every spring.", "My family has worked this land for generations."),
    ),
}

# Template ids from the spec's NPC templates -> (role, mood).
TEMPLATES: dict[str, tuple[str, str]] = {
    "merchant": ("merchant", "cheerful"),
    "quest_giver": ("quest_giver", "wise"),
    "guard": ("guard", "grumpy"),
    "villain": ("villain", "sinister"),
    "healer": ("healer", "wise"),
    "companion": ("companion", "cheerful"),
}

# intent -> (cores when the player named a topic, cores when they did not)
CORES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "request": (("The {topic}? {craft}", "You want the {topic}? {craft}"), ("You want my help? {craft}",)),
    "trade": (
        ("Looking to trade for the {topic}? {craft}", "The {topic}? Everything has a price here."),
        ("Looking to trade? I have a {goods} today, at a fair price.",
         "Buying or selling? A {goods} is a fine start."),
    ),
    "quest": (
        ("The {topic}? There is work in that, if you're brave enough.",
         "Trouble with the {topic}; someone must deal with it."),
        ("Looking for work? There's trouble past the {place}, and it needs a steady hand.",
         "A task? There's one that needs doing beyond the {place}."),
    ),
    "greeting": (("Welcome to the {place}. I'm {who}.", "You've found the {place}; what brings you?"),) * 2,
    "farewell": (("Leaving already? The {place} will be here.", "Safe roads, then."),) * 2,
    "identity": (("I'm {who}.",),) * 2,
    "ai": (("Strange question. I'm {who}, and I have work to do.",),) * 2,
    "where": (
        ("The {topic}? Follow the road past the {place} and keep your eyes open.",
         "The {topic} lies beyond the {place}, if the old maps are right."),
        ("Where? Past the {place}, then ask again.",),
    ),
    "question": (
        ("The {topic}? That's a question I hear often.", "You ask about the {topic}. Few do."),
        ("A fair question, and not an easy one.",),
    ),
    "statement": (("The {topic}, you say?", "Hm, the {topic}."), ("Is that so?", "Hm. Go on.")),
}

STATE_LINES: dict[str, tuple[str, ...]] = {
    "time": ("It's {v} now, so keep your voice down.", "At {v}, the {place} is quieter than usual."),
    "reputation": ("Your {label} here is {v}, and that counts for something.",
                   "With a {label} of {v}, you've earned a word or two."),
    "money": ("You carry {v} gold, I hear.", "With {v} gold to your name, we can talk."),
    "inventory": ("I see you carry {v}.", "Those {v} of yours might come in handy."),
    "location": ("Here in {v}, we look after our own.", "Things are different in {v}."),
    "weather": ("With the {v} outside, few travelers come by.", "This {v} weather does nobody any good."),
    "quest": ("Last I heard, your quest stands at {v}.", "Your {label} is {v}, so you know the way."),
    "health": ("You look to be at {v} health; be careful.", "At {v} health, you should rest first."),
    "mood": ("I'm feeling {v} today, for what it's worth.",),
    "generic": ("They tell me your {label} is {v}.", "Your {label} is {v}; I'll keep that in mind."),
    # World state: true for every player, so never "your".
    "world": ("Word around here is that the {label} is {v}.", "As everyone knows, the {label} is {v}."),
}
TERSE_STATE: dict[str, str] = {
    "time": "At {v}? Come back later.",
    "reputation": "Your {label}: {v}.",
    "money": "You've {v} gold.",
    "inventory": "Got {v}, I see.",
    "location": "Here in {v}?",
    "weather": "In this {v}?",
    "quest": "Quest: {v}.",
    "health": "Health {v}? Rest.",
    "mood": "Feeling {v}.",
    "generic": "{Label}: {v}.",
    "world": "The {label}? {v}.",
}
VERBOSE_LINES: tuple[str, ...] = (
    "Let me tell you something about {it}, since you asked.",
    "Folk have asked me about {it} before, and I tell them all the same thing.",
    "It was not always this way around the {place}.",
    "Back in the old days, nobody would have dared to ask such a thing.",
    "There is more to {it} than most people understand.",
    "Still, I suppose you have your reasons, and I won't pry.",
    "If you come back tomorrow, I may know more.",
    "Keep your eyes open on the road; not everyone is as friendly as me.",
)

# The sandbox answering without any persona: plain, and honest about what it is.
PLAIN_NOTE = "This reply comes from the offline mg sandbox model, a deterministic stand-in for a real model."
PLAIN_AI = "I'm the mg sandbox model: an offline, deterministic stand-in for a real model, for test keys."
PLAIN_DETAILS: tuple[str, ...] = (
    "Use a live key to get answers from a real model.",
    "The same request always gets this same reply, which keeps tests stable.",
    "Streaming, tool calls and JSON output all work here too.",
    "Token counts and finish reasons behave as they do with a real provider.",
)
PLAIN_MORE: tuple[str, ...] = (
    "Every reply is built from your messages, the system prompt and any game state you send.",
    "Ask the same thing twice and you get the same words, streamed or not.",
    "Responses respect max_tokens, so you can test how your game handles a cut-off line.",
)

# Game-development disciplines for an expert system prompt: (triggers, steps, pitfall).
DISCIPLINES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "shader": (
        _w("shader shaders hlsl glsl material materials shadergraph compute"),
        ("Start from the simplest unlit version, then add terms one at a time.",
         "Output each intermediate value as a colour to debug it.",
         "Move per-object constants out of the fragment stage.",
         "Profile on the weakest target GPU before adding features."),
        "Watch for precision loss with half floats on mobile.",
    ),
    "netcode": (
        _w("multiplayer network netcode server latency rollback replication lobby matchmaking"),
        ("Keep the server authoritative and let clients predict.",
         "Send inputs, not positions, and reconcile on correction.",
         "Interpolate remote entities a little behind real time.",
         "Test with simulated latency and packet loss from day one."),
        "Never trust a client-side hit result.",
    ),
    "physics": (
        _w("physics collision collisions rigidbody raycast ragdoll jitter"),
        ("Step physics at a fixed timestep, separate from rendering.",
         "Use simple colliders and layers to cut pair checks.",
         "Move kinematic bodies through the physics API, not transforms.",
         "Clamp velocities to stop tunnelling through thin walls."),
        "Mixing transform writes with simulation causes jitter.",
    ),
    "animation": (
        _w("animation animations blend rig ik retarget retargeting animator"),
        ("Keep the state machine shallow; use blend trees for locomotion.",
         "Drive transitions from parameters set by gameplay code.",
         "Add IK for feet and hands after the base motion feels right.",
         "Use root motion only where it matches the character controller."),
        "Long transition times make controls feel sluggish.",
    ),
    "ai": (
        _w("pathfinding navmesh behavior behaviour enemy enemies npc npcs steering"),
        ("Use a behaviour tree or utility system for decisions.",
         "Let the navmesh handle movement and keep decisions separate.",
         "Spread expensive queries over several frames.",
         "Expose tuning values so designers can adjust them."),
        "Perfect aim and awareness feel unfair; add reaction delays.",
    ),
    "performance": (
        _w("performance fps optimize optimise optimization profiling stutter frame memory draw batching "
           "lod gpu cpu"),
        ("Profile first and fix the biggest cost you can measure.",
         "Batch draw calls and cut overdraw on transparent layers.",
         "Pool objects instead of allocating during gameplay.",
         "Move heavy work off the main thread where possible."),
        "Optimising without a profiler usually fixes the wrong thing.",
    ),
    "save": (
        _w("save saving load serialization serialisation persistence savegame"),
        ("Store a versioned, plain data model, not live objects.",
         "Write to a temporary file, then rename it into place.",
         "Migrate old versions forward when loading.",
         "Keep save data separate from player settings."),
        "Serialising engine objects directly breaks saves after updates.",
    ),
    "ui": (
        _w("ui hud menu menus ux interface button buttons"),
        ("Separate UI state from game state and bind one way.",
         "Design for controller focus from the start.",
         "Keep text in string tables for localisation.",
         "Test at the smallest supported resolution."),
        "Hard-coded pixel layouts break on new aspect ratios.",
    ),
    "design": (
        _w("balance economy progression difficulty loot reward rewards design"),
        ("Write down the player experience you want first.",
         "Put tuning values in data so they change without code.",
         "Simulate the economy with spreadsheets before shipping it.",
         "Watch playtests and change one variable at a time."),
        "Inflation creeps in when sources outpace sinks.",
    ),
    "narrative": (
        _w("dialogue narrative story writing lore branching quest quests"),
        ("Map the branches in a tool before writing the lines.",
         "Track story state in a few clear flags.",
         "Let choices echo later so they feel meaningful.",
         "Read the dialogue aloud to catch stiff lines."),
        "Too many branches multiply writing and testing work.",
    ),
    "general": (
        (),
        ("Break the problem into the smallest piece you can test.",
         "Build a quick prototype before polishing anything.",
         "Measure the result on target hardware.",
         "Keep the tuning values in data, not code."),
        "Big rewrites rarely beat small, tested steps.",
    ),
}
EXPERT_INTROS: tuple[str, ...] = (
    "Good question about {topic}{engine}.", "Here's how I'd approach {topic}{engine}.",
)
EXPERT_CLOSERS: tuple[str, ...] = ("Happy to go deeper on any step.", "Start small and iterate from there.")
EXPERT_DETAILS: tuple[str, ...] = (
    "Write down what done looks like before you start.",
    "Keep {topic} behind a small interface so you can swap the approach later.",
    "Automate a test for the behaviour you care about most.",
    "Check the engine's own documentation for the version you ship on.",
)
EXPERT_TRIGGERS = (
    "expert", "engineer", "developer", "programmer", "technical", "consultant", "architect",
    "designer", "artist", "director", "specialist", "mentor", "tutor", "coder", "coding", "game dev",
    "gamedev", "unity", "unreal", "godot",
)
# fmt: on
ENGINES = ("Unity", "Unreal", "Godot", "GameMaker", "Bevy", "Defold", "CryEngine", "O3DE", "Roblox")
