// Each test class boots the whole platform; two at once would only fight over the machine's two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
