package demo;

import java.util.List;

public class Sample {
    private int count;
    public Sample(int c) { count = c; }
    public int twice() { return helper(count); }
    static int helper(int x) { return x * 2; }
}

interface Greeter { String greet(String name); }

enum Level { LOW, HIGH }
