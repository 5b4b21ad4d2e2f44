using Microsoft.Extensions.Options;
using SendApi.Core.Diagnostics;
using SendApi.Delivery;
using SendApi.Delivery.Diagnostics;

namespace SendApi.UnitTests.Diagnostics;

public sealed class DomainLabelsTests
{
    [Fact]
    public void Named_domains_and_the_first_MaxDomains_others_get_a_label_the_rest_are_other()
    {
        var delivery = new DeliveryOptions();
        delivery.Domains["Gmail.com"] = new DomainLimits();
        var labels = new DomainLabels(Options.Create(new MetricsOptions { Domains = ["outlook.com"], MaxDomains = 2 }), Options.Create(delivery));

        Assert.Equal("a.test", labels.For("a.test"));
        Assert.Equal("b.test", labels.For("B.test"));
        Assert.Equal("other", labels.For("c.test"));
        Assert.Equal("a.test", labels.For("a.test"));
        // Named ones never take a place, and are labelled whenever they come.
        Assert.Equal("gmail.com", labels.For("gmail.com"));
        Assert.Equal("outlook.com", labels.For("OUTLOOK.COM"));
        Assert.Equal("other", labels.For("d.test"));
    }

    [Fact]
    public void A_flood_of_one_off_domains_from_many_threads_takes_no_more_labels_than_MaxDomains()
    {
        var labels = new DomainLabels(Options.Create(new MetricsOptions { MaxDomains = 20 }), Options.Create(new DeliveryOptions()));

        var distinct = Enumerable.Range(0, 2000).AsParallel().Select(i => labels.For($"d{i % 500}.test")).Distinct().ToList();

        Assert.Equal(21, distinct.Count);
        Assert.Contains("other", distinct);
    }
}
