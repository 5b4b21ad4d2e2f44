using System.Net.Http.Json;

/// <summary>
/// --template: every message names a stored template (with a layout) and its own variables, so that
/// the run measures render + accept (issue 15) where the plain mode measures accept alone.
/// </summary>
internal static class TemplatedSends
{
    public const string Name = "bench-receipt";

    /// <summary>Stores the layout and the template the messages use.</summary>
    public static async Task CreateAsync(HttpClient http)
    {
        (await http.PostAsJsonAsync("/templates", new
        {
            name = "bench-layout",
            html = "<html><body><h1>{{shop}}</h1>{{{body}}}<p>Questions? Reply to this mail.</p></body></html>",
            text = "{{shop}}\n\n{{{body}}}\n\nQuestions? Reply to this mail.",
        })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/templates", new
        {
            name = Name,
            layout = "bench-layout",
            subject = "Your order {{order.number}}",
            html = "<p>Hello {{name}},</p><p>Thank you for order {{order.number}}:</p><ul>{{#each order.items}}<li>{{qty}} × {{title}}: {{price}}</li>{{/each}}</ul><p>Total {{order.total}}</p>",
            text = "Hello {{name}},\n\nThank you for order {{order.number}}:\n{{#each order.items}}- {{qty}} x {{title}}: {{price}}\n{{/each}}\nTotal {{order.total}}",
        })).EnsureSuccessStatusCode();
    }

    /// <summary>The body of the <paramref name="i"/>th POST /messages.</summary>
    public static object Message(int i) => new
    {
        from = "Bench <bench@sendapi.test>",
        to = new[] { $"user{i}@bench.test" },
        template = Name,
        variables = new
        {
            shop = "Bench Shop",
            name = $"Customer {i}",
            order = new
            {
                number = 100000 + i,
                total = "42.50",
                items = new object[]
                {
                    new { qty = 1, title = "Notebook <A5>", price = "12.50" },
                    new { qty = 2, title = "Pen & ink", price = "15.00" },
                },
            },
        },
    };
}
