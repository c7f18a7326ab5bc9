import React from "react";
interface Props { title: string; }
export function Header(props: Props) {
  return <h1>{format(props.title)}</h1>;
}
const format = (s: string) => s.toUpperCase();
