/// Whether `dateutil.tz.gettz(name)` finds a zone for a DTSTART/EXDATE `TZID` (which makes those
/// dates aware). Its order: a zone file of that name (the reference's tzdata, or dateutil's
/// bundled copy), else a POSIX `TZ` string (`tzstr`) when the name has a digit, else `GMT`,
/// `UTC` and the machine's own zone names (UTC here). Absolute paths (which gettz opens as
/// files) are not followed.
enum Gettz {
    static let files: Set<String> = Set(fileNames.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    static let bundled: Set<String> = Set(bundledNames.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    static func isFile(_ n: String) -> Bool {
        for prefix in ["posix/", "right/"] where n.hasPrefix(prefix) {
            let rest = String(n.dropFirst(prefix.count))
            return files.contains(rest) && rest != "localtime" && rest != "posixrules"
        }
        return files.contains(n)
    }

    static func known(_ name: String) -> Bool {
        var n = name
        if n.hasPrefix(":") { n.removeFirst() }
        if n.hasPrefix("/") { return false }
        if isFile(n) || isFile(n.replacingOccurrences(of: " ", with: "_")) || bundled.contains(n) { return true }
        if n.unicodeScalars.contains(where: { $0.value >= 0x30 && $0.value <= 0x39 }) { return tzstr(n) }
        return n == "GMT" || n == "UTC"
    }

    /// `tzstr(s)` succeeds: dateutil's `_tzparser` reads the whole string.
    static func tzstr(_ s: String) -> Bool {
        // re.split(r'([,:.]|[a-zA-Z]+|[0-9]+)', s), empty pieces dropped.
        var l: [String] = []
        var other = ""
        let chars = Array(s.unicodeScalars)
        var i = 0
        func isLetter(_ c: Unicode.Scalar) -> Bool { (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A) }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
        while i < chars.count {
            let c = chars[i]
            var piece: String?
            if c == "," || c == ":" || c == "." {
                piece = String(Character(c))
                i += 1
            } else if isLetter(c) || isDigit(c) {
                let letter = isLetter(c)
                var p = ""
                while i < chars.count, letter ? isLetter(chars[i]) : isDigit(chars[i]) {
                    p.unicodeScalars.append(chars[i])
                    i += 1
                }
                piece = p
            } else {
                other.unicodeScalars.append(c)
                i += 1
            }
            if let piece {
                if !other.isEmpty {
                    l.append(other)
                    other = ""
                }
                l.append(piece)
            }
        }
        if !other.isEmpty { l.append(other) }
        return parse(&l)
    }

    private struct Failure: Error {}

    private static func int(_ s: String) throws(Failure) -> Int {
        guard let v = PyText.int(s.unicodeScalars) else { throw Failure() }
        return v
    }

    /// `_tzparser.parse`: whether it returns a result without unused tokens (and whose offsets
    /// and days `tzrange` accepts).
    private static func parse(_ l: inout [String]) -> Bool {
        var used = Set<Int>()
        let n = l.count
        var i = 0
        var stdabbr: String?
        var dstabbr: String?
        var offsets: [Int] = []
        func hasOffsetChar(_ t: String) -> Bool { t.unicodeScalars.contains { "0123456789:,-+".unicodeScalars.contains($0) } }
        func at(_ k: Int) throws(Failure) -> String {
            guard k >= 0, k < n else { throw Failure() }
            return l[k]
        }
        do {
            while i < n {
                var j = i
                while j < n && !hasOffsetChar(l[j]) { j += 1 }
                if j != i {
                    if stdabbr == nil || stdabbr!.isEmpty {
                        stdabbr = l[i..<j].joined()
                    } else {
                        dstabbr = l[i..<j].joined()
                    }
                    for k in 0..<j { used.insert(k) }
                    i = j
                    if i < n, l[i] == "+" || l[i] == "-" || (l[i].unicodeScalars.first.map(isASCIIDigit) ?? false) {
                        var signal = -1
                        if l[i] == "+" || l[i] == "-" {
                            signal = l[i] == "+" ? -1 : 1
                            used.insert(i)
                            i += 1
                        }
                        let t = try at(i)
                        let len = t.unicodeScalars.count
                        if len == 4 {
                            offsets.append((try int(String(t.prefix(2))) * 3600 + (try int(String(t.dropFirst(2)))) * 60) * signal)
                        } else if i + 1 < n, l[i + 1] == ":" {
                            offsets.append((try int(t) * 3600 + (try int(try at(i + 2))) * 60) * signal)
                            used.insert(i)
                            i += 2
                        } else if len <= 2 {
                            offsets.append(try int(String(t.prefix(2))) * 3600 * signal)
                        } else {
                            return false
                        }
                        used.insert(i)
                        i += 1
                    }
                    if dstabbr != nil && !dstabbr!.isEmpty { break }
                } else {
                    break
                }
            }
            if i < n {
                for k in i..<n where l[k] == ";" { l[k] = "," }
                guard l[i] == "," else { throw Failure() }
                i += 1
            }
            if i >= n {
                // nothing more
            } else if (8...9).contains(l.filter({ $0 == "," }).count)
                && l[i...].allSatisfy({ $0 == "," || $0.unicodeScalars.allSatisfy { "0123456789+-".unicodeScalars.contains($0) } })
            {
                for _ in 0..<2 {
                    _ = try int(try at(i))
                    used.insert(i)
                    i += 2
                    var value: Int
                    if try at(i) == "-" {
                        value = try int(try at(i + 1)) * -1
                        used.insert(i)
                        i += 1
                    } else {
                        value = try int(try at(i))
                    }
                    used.insert(i)
                    i += 2
                    if value != 0 {
                        _ = try int(try at(i))
                    } else {
                        _ = try int(try at(i))
                    }
                    used.insert(i)
                    i += 2
                    _ = try int(try at(i))
                    used.insert(i)
                    i += 2
                }
                if i < n {
                    if l[i] == "-" || l[i] == "+" {
                        used.insert(i)
                        i += 1
                    }
                    used.insert(i)
                    _ = try int(try at(i))
                }
            } else if l.filter({ $0 == "," }).count == 2 && l[i...].filter({ $0 == "/" }).count <= 2
                && l[i...].allSatisfy({ [",", "/", "J", "M", ".", "-", ":"].contains($0) || $0.unicodeScalars.allSatisfy(isASCIIDigit) })
            {
                for _ in 0..<2 {
                    if try at(i) == "J" {
                        used.insert(i)
                        i += 1
                        if try int(try at(i)) > 366 { throw Failure() }  // relativedelta: invalid year day
                    } else if l[i] == "M" {
                        used.insert(i)
                        i += 1
                        _ = try int(try at(i))
                        used.insert(i)
                        i += 1
                        guard try at(i) == "-" || l[i] == "." else { throw Failure() }
                        used.insert(i)
                        i += 1
                        _ = try int(try at(i))
                        used.insert(i)
                        i += 1
                        guard try at(i) == "-" || l[i] == "." else { throw Failure() }
                        used.insert(i)
                        i += 1
                        _ = try int(try at(i))
                    } else {
                        if try int(l[i]) + 1 > 366 { throw Failure() }
                    }
                    used.insert(i)
                    i += 1
                    if i < n && l[i] == "/" {
                        used.insert(i)
                        i += 1
                        let t = try at(i)
                        let len = t.unicodeScalars.count
                        if len == 4 {
                            _ = try int(String(t.prefix(2)))
                            _ = try int(String(t.dropFirst(2)))
                        } else if i + 1 < n, l[i + 1] == ":" {
                            _ = try int(t)
                            _ = try int(try at(i + 2))
                            used.insert(i)
                            i += 2
                            if i + 1 < n, l[i + 1] == ":" {
                                used.insert(i)
                                i += 2
                                _ = try int(try at(i))
                            }
                        } else if len <= 2 {
                            _ = try int(String(t.prefix(2)))
                        } else {
                            return false
                        }
                        used.insert(i)
                        i += 1
                    }
                    guard i == n || l[i] == "," else { throw Failure() }
                    i += 1
                }
                guard i >= n else { throw Failure() }
            }
        } catch {
            return false
        }
        for k in 0..<n where !used.contains(k) && l[k] != "," && l[k] != ":" { return false }
        // tzrange: timedelta(seconds=offset) overflows beyond a billion days (an OverflowError,
        // which gettz does not catch; taken as no zone here).
        return offsets.allSatisfy { abs($0) < 86_400 * 999_999_999 }
    }

    private static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
}
