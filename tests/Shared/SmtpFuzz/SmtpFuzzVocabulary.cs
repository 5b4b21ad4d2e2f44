namespace SendApi.Tests.SmtpFuzz;

/// <summary>
/// What a fuzzed session says besides the generic SMTP vocabulary of <see cref="SmtpFuzzInput"/>:
/// the AUTH password, and the addresses and bodies that reach the application's own decisions
/// (a real return path, an inbound domain, a bounce). Each list is added to the generic one, so
/// the fuzz still sends everything else too.
/// </summary>
/// <param name="Password">The AUTH PLAIN password the session logs in with (a wrong one makes every login fail).</param>
/// <param name="Senders">MAIL FROM of a regular transaction, without the brackets; "" is the null sender.</param>
/// <param name="Recipients">RCPT TO of a regular transaction, without the brackets.</param>
/// <param name="OddRecipients">Now and then used instead of <paramref name="Recipients"/>.</param>
/// <param name="Addresses">More addresses, with their brackets, that replace the one of a random command.</param>
/// <param name="Bodies">More DATA content; one entry may hold many lines (a whole report).</param>
internal sealed record SmtpFuzzVocabulary(
    string Password,
    IReadOnlyList<string> Senders,
    IReadOnlyList<string> Recipients,
    IReadOnlyList<string> OddRecipients,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Bodies)
{
    /// <summary>Addresses at example.test, a client of the given password: no application behind it needs more.</summary>
    public static SmtpFuzzVocabulary Plain(string password) => new(
        password,
        Senders: ["alice@example.test"],
        Recipients: ["r1@example.test", "r2@example.test", "r3@example.test"],
        OddRecipients: ["postmaster", "unknown@example.test", "\"q\"@example.test"],
        Addresses: [],
        Bodies: []);
}
