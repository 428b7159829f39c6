/// Random two-word run names (`adjective-animal`), like the reference's `generate_slug(2)`.
public enum NameGenerator {
    static let adjectives = [
        "able", "amber", "ancient", "azure", "bold", "brave", "bright", "brisk", "calm", "clever", "cosmic", "crimson", "daring", "dazzling", "eager",
        "elegant", "fancy", "fearless", "fiery", "gentle", "glorious", "golden", "graceful", "happy", "hidden", "humble", "icy", "jolly", "just",
        "keen", "lively", "lucky", "mellow", "merry", "mighty", "misty", "nimble", "noble", "olive", "patient", "placid", "proud", "quick", "quiet",
        "rapid", "robust", "rustic", "scarlet", "serene", "shiny", "silent", "silver", "smart", "spry", "steady", "stellar", "sturdy", "sunny",
        "swift", "tidy", "tranquil", "vivid", "warm", "wise", "witty", "zealous", "beautiful", "curious", "dynamic", "earnest",
    ]
    static let animals = [
        "aardvark", "albatross", "alpaca", "antelope", "auk", "badger", "bat", "bear", "beaver", "bison", "bobcat", "buffalo", "camel", "caribou",
        "cat", "cheetah", "chipmunk", "cobra", "condor", "coyote", "crane", "crow", "deer", "dingo", "dolphin", "donkey", "eagle", "eel", "elk",
        "falcon", "ferret", "finch", "fox", "gazelle", "gecko", "gharial", "gibbon", "giraffe", "goose", "gopher", "grouse", "hare", "hawk",
        "hedgehog", "heron", "hippo", "ibex", "iguana", "jackal", "jaguar", "kangaroo", "kestrel", "koala", "lemur", "leopard", "lion", "llama",
        "lynx", "marmot", "mink", "moose", "newt", "ocelot", "orca", "otter", "owl", "panda", "panther", "parrot", "pelican", "penguin", "puffin",
        "quail", "rabbit", "raven", "seal", "shrew", "sloth", "stoat", "swan", "tapir", "tiger", "toad", "turtle", "viper", "walrus", "weasel",
        "wolf", "wombat", "yak", "zebra",
    ]

    /// A fresh random name.
    public static func slug() -> String {
        "\(adjectives.randomElement()!)-\(animals.randomElement()!)"
    }
}
