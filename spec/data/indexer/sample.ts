import { Point } from "./geom";
export interface Named { name: string; }
export type Id = number;
enum Color { Red, Green }
export class Circle implements Named {
  name = "circle";
  radius(p: Point): number { return distance(p); }
}
export function distance(p: Point): number { return Math.sqrt(p.x * p.x); }
const MAX_RADIUS = 10;
