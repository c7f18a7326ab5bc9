#include <vector>
namespace geo {
class Shape {
 public:
  virtual double area() const;
  int sides;
};
struct Point { double x, y; };
double Shape::area() const { return compute(sides); }
}
static double compute(int n) { return n * 1.5; }
