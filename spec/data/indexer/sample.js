import { readFile } from "fs";
const LIMIT = 5;
let total = 0;
class Shape {
  area() { return 0; }
}
function makeShape(kind) {
  return new Shape(kind);
}
const square = (n) => n * n;
module.exports.run = function () { makeShape("x"); };
