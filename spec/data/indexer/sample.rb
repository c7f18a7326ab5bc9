require "json"

MAX = 3

module Shapes
  class Circle < Base
    def area
      compute(radius)
    end

    def self.unit
      new(1)
    end
  end
end

def compute(r)
  r * r
end
