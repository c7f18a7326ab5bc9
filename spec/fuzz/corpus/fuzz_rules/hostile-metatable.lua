local t = getmetatable('') t.__index = nil return {}
